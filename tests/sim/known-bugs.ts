import type { Failure } from './checks.js'

/**
 * Product bugs this simulation found and that are not fixed yet. The main run counts and
 * prints the schedules they explain instead of failing; each has an `it.fails` repro with its
 * seed in `known-bugs.test.ts`, which starts to pass once the bug is fixed (so vitest reports
 * the `it.fails` as failing): then delete its entry here.
 */
export interface KnownBug {
  id: string
  title: string
  /** Seeds that show it (the first is the repro's). */
  seeds: number[]
  /**
   * The failures of a schedule this bug accounts for: its signature failure and what follows
   * from it (the affected user's devices diverge); none when the signature is absent.
   */
  covers(failures: readonly Failure[]): Failure[]
}

export const KNOWN_BUGS: readonly KnownBug[] = []

/**
 * Bugs this simulation found that are fixed: their repros (`known-bugs.test.ts`) now run as
 * plain regression tests, and schedules showing them fail the run like any other failure.
 */
export const FIXED_BUGS: ReadonlyArray<Pick<KnownBug, 'id' | 'title' | 'seeds'> & { fix: string }> =
  [
    {
      id: 'own-bundle-never-pulled',
      title:
        'a bundle of a device that reaches the server after the device rolled back and resumed (pushed back by another device after a restore, or its own push landing late) was never pulled by it',
      seeds: [20, 62],
      fix: 'a page leaves out only the bundles its request carried (PullOptions.exclude), not every bundle of the calling client',
    },
    {
      id: 'restamp-conflict-after-rollback',
      title:
        'a device rolled back past a bundle it had re-stamped (clock drift) re-stamps it again under the same id: the server refuses it as a conflict and the device keeps its own version',
      seeds: [63, 1965],
      fix: 'before refusing an own bundle for good as conflict, the sync engine fetches the server version and, when it is the same writes stamped otherwise, adopts its HLCs and counts it acknowledged (client sync/adopt.ts, store/adopt.ts)',
    },
    {
      id: 'hlc-reissued-after-rollback',
      title:
        'a device rolled back, whose clock is behind its last HLC, issues again HLCs the server already holds (invariant 2) and pushes them even after the server told it (`own`) that it rolled back: two events share one HLC',
      seeds: [5263],
      fix: "when the server's `own` answer shows the device rolled back, the unacknowledged local bundles stamped at or below the server's latest HLC of this client (and those written after them) are re-stamped above it before anything is pushed (client store/restamp.ts restampAtOrBelow)",
    },
    {
      id: 'space-kept-after-server-restore',
      title:
        'a server restored from a backup taken before a space was created or joined no longer has that membership, but a device that learnt of it keeps the space, its role and its rows for good (even after recovering from the restore): the feed has no removal to send, and nothing asks GET /v1/spaces again',
      seeds: [82, 138, 334, 438, 540, 552, 562, 686, 822],
      fix: 'the client asks GET /v1/spaces again (dropping the spaces no longer listed, as a lost membership) when it recovers from a restore, and after a sync that drained the feed without confirming a space it learnt from a direct answer (create, accept, its own role): store/known-spaces.ts unconfirmedSpaces',
    },
    {
      id: 'others-bundle-kept-after-author-refused',
      title:
        "after a server restore, a member's bundle the server lost is pushed back by its author, who meanwhile became a reader: refused as forbidden (right) and undone on the author's devices, but every other member's device that had pulled it keeps it for good (they cannot push another user's bundle, nothing tells them to drop it), so they diverge from the server; in the same seed the author's device, after undoing its refused bundles, issued again an HLC the server holds (invariant 2)",
      seeds: [746],
      fix: "comparing a shared space's bundle ids with the server's (the recovery from a restore, verify()), a device drops the other users' bundles the server lacks instead of keeping them (client sync/compare.ts): it may not push them, and if their author pushes one back it comes again with the pulls. The invariant-2 part was hlc-reissued-after-rollback, gone with its fix",
    },
    {
      id: 'space-left-before-server-restore',
      title:
        'a device leaves a space, then the server is restored from a backup taken before the leave (the membership is back there) while the cursor passes nothing the restore lost: the device knows no such space for good, the server and the model say it is a member (the mirror of space-kept-after-server-restore: a leave is not among the changes the device asks the server to confirm)',
      seeds: [674085958],
      fix: 'a leave (and a removal of this user) is marked unconfirmed like a join (client spaces/space-routes.ts, store/known-spaces.ts), so a sync that drains the feed without it asks GET /v1/spaces again; a space the list names again after this device left it is owed a bundle-id comparison (oweSpaceCompare, sync/space-compare.ts, run at the end of that sync in sync/engine.ts), which brings its history back',
    },
    {
      id: 'sibling-bundle-dropped-after-restore',
      title:
        "after a server restore, a device comparing a shared space's bundle ids drops the bundles the server lacks of every other client, its own user's other devices included: a sibling that rolled back past its bundle no longer holds it, so the acknowledged bundle is lost",
      seeds: [580861718],
      fix: "the comparison counts as this user's every client that wrote into the private space (only this user's devices can), not only this device: their bundles the server lacks are pushed again, not dropped (client sync/compare.ts ownUsersClients)",
    },
  ]

/** The known bugs that together account for every failure of a schedule, or null. */
export const knownBugsOf = (failures: readonly Failure[]): KnownBug[] | null => {
  const bugs = KNOWN_BUGS.filter((bug) => bug.covers(failures).length > 0)
  const covered = new Set(bugs.flatMap((bug) => bug.covers(failures)))
  return bugs.length > 0 && failures.every((f) => covered.has(f)) ? bugs : null
}
