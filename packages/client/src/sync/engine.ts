import {
  type Bundle,
  formatHlc,
  isTidingsError,
  jsonBytes,
  type Limits,
  type PartedBundle,
  parseHlc,
  partsOf,
  ROUTES,
  SYNC_PROTOCOL,
  type SyncResponse,
  type TidingsError,
  wholeBundle,
  withParts,
} from '@tidings/protocol'
import { raiseHorizon } from '../history/horizons.js'
import { roleIn, unconfirmedSpaces } from '../store/known-spaces.js'
import { restampAtOrBelow, restampPast } from '../store/restamp.js'
import type { Changes, Store } from '../store/store.js'
import { clearUnresumed } from '../store/unresumed.js'
import { adoptServerVersion } from './adopt.js'
import { blame, Refusal, rethrow, unwrap } from './blame.js'
import { compareBundles } from './compare.js'
import { applySpaceChanges, forbiddenBundles, setAsideForbidden } from './lose-space.js'
import {
  afterRecovery,
  owe,
  owedRecovery,
  RECOVERY_KEY,
  type RecoveryReason,
  recoveryFrom,
} from './recovery.js'
import type { RejectedBundles } from './rejected.js'
import { neverStoredPast } from './restamp.js'
import { owedSpaceCompare, oweSpaceCompare, settleSpaceCompare, spacesOf } from './space-compare.js'
import type { Answer, Transport } from './transport.js'
import type { SyncResult, VerifyResult } from './types.js'

/** Extra correction after a drift refusal, so the retried timestamp is clearly in range. */
const DRIFT_MARGIN_MS = 1_000

/** Re-stampings per sync: each answers one drift refusal; more means the server's clock moves oddly. */
const MAX_RESTAMPS = 3

/** Refusals of the pushed bundles themselves, after which pulling still makes sense. */
const refusesBundles = (error: unknown): boolean =>
  isTidingsError(error) &&
  ['bad_request', 'too_large', 'conflict', 'clock_drift'].includes(error.code)

/** How far ahead the server found `hlc`, when it refused exactly that timestamp as drift. */
const driftOf = (error: unknown, hlc: string): number | null => {
  if (!isTidingsError(error, 'clock_drift')) return null
  const details = error.details as { hlc?: unknown; aheadMs?: unknown } | undefined
  return details?.hlc === hlc && typeof details.aheadMs === 'number' ? details.aheadMs : null
}

/** A `POST /v1/sync` in flight, with the timestamp it carries (to recognise a drift refusal). */
interface Sent {
  answer: Promise<Answer<SyncResponse>>
  hlc: string
  /** Whether the request asked where the server has this client (`resume`). */
  resume: boolean
}

/** What a round learnt: whether the server has more, and the next pull if already sent. */
interface Round {
  more: boolean
  ahead: Sent | null
}

/** Resolves after the event loop has run its pending I/O (a macrotask, in Node and browsers). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

/** Room kept under `maxBodyBytes` for the request envelope. */
export const ENVELOPE_BYTES = 4_096
/** A clock offset estimate within this of zero (plus half the round trip) is treated as zero. */
const OFFSET_SLACK_MS = 50

/**
 * The sync state machine of one client: push the outbox and pull the stream in `POST /v1/sync`
 * rounds until both are done. One sync runs at a time; concurrent callers share it.
 */
export class SyncEngine {
  private running: Promise<SyncResult> | null = null
  private queued: Promise<SyncResult> | null = null
  /**
   * Whether the server has told this process where it has this client (`resume`): the first
   * round after opening asks, before pushing anything, in case the database rolled back.
   */
  private resumed = false

  constructor(
    private readonly store: Store,
    private readonly transport: Transport,
    private readonly limits: Limits,
    private readonly changed: (changes: Changes) => void,
    private readonly refused: RejectedBundles,
    /**
     * Asks the server which spaces this user is in (`GET /v1/spaces`), when a pulled bundle is
     * tagged with a space this device does not know while it does not yet know its private
     * space's id (which a server may use as the private bundles' tag).
     */
    private readonly learnSpaces: () => Promise<void> = async () => undefined,
  ) {}

  /**
   * Runs a sync. A call while one is in flight gets one more sync after it (shared by all such
   * callers), so a sync requested after a local write always carries that write.
   */
  sync(): Promise<SyncResult> {
    if (this.running) {
      this.queued ??= this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = null
          return this.sync()
        })
      return this.queued
    }
    this.running = this.roundsAndRecovery().finally(() => {
      this.running = null
    })
    return this.running
  }

  /**
   * The rounds, then any recovery an answer called for (or a crash left owed): the bundle sets
   * are compared with the server as `verify()` does, so this device fetches what it lacks (its
   * own lost writes too) and pushes again what the server lost; then the rounds run again.
   */
  private async roundsAndRecovery(): Promise<SyncResult> {
    const result: SyncResult = { pushed: 0, pulled: 0 }
    const unconfirmed = unconfirmedSpaces(this.store.sql)
    if (!this.resumed) {
      await this.round([], result, null).catch(rethrow)
      this.resumed = true
    }
    await this.rounds(result)
    await this.compareJoined(result)
    let total = result
    // Another restore seen while recovering (a failover that flaps) owes a recovery of its own:
    // the flag is cleared only when no answer since the comparison set it again. Bounded: what
    // is still owed after that is the next sync's.
    for (let pass = 0, owed = owedRecovery(this.store); owed && pass < 3; pass++) {
      // A restored server may have lost memberships too (a space created or joined after its
      // backup): its list is asked again, and spaces it no longer lists are dropped as lost.
      if (owed.reason === 'server_restored') await this.learnSpaces()
      const compared = await this.compare()
      const again = await this.rounds({ pushed: 0, pulled: 0 })
      total = afterRecovery(owed.reason, compared, total, again)
      // Ask again where the server has this client: another device recovering later may push
      // back bundles of this client that it lost too, and a server older than this client may
      // leave all of this client's bundles out of its pulls (today's leaves out only the ones a
      // request carried), so they would never come.
      this.resumed = false
      const now = owedRecovery(this.store)
      if (now?.token === owed.token) this.store.setState(RECOVERY_KEY, '')
      owed = now?.token === owed.token ? null : now
    }
    // The feed is drained and did not name a space learnt from a direct answer before this sync
    // began: the server lost that change (see `unconfirmedSpaces`), so its list is asked again.
    const left = unconfirmedSpaces(this.store.sql)
    if (unconfirmed.some((id) => left.includes(id))) await this.learnSpaces()
    // A space left by a direct answer that a list above named again (here or in the recovery)
    // is owed a comparison: its rows went with the leave and the cursor is past them.
    await this.compareJoined(total)
    return total
  }

  private compare(only?: readonly string[]) {
    return compareBundles(this.store, this.transport, this.limits, this.refused, this.changed, only)
  }

  /**
   * Spaces dropped by a removal in the very answer that acknowledged bundles this device pushed
   * into them (see `space-compare.ts`): once the rounds are done (and any rejoin in them
   * applied), their bundle ids are compared with the server's, so such a bundle comes back if
   * the space is this user's again. Also spaces the server lists again after this device left
   * them by a direct answer (a restore took the leave back, `SpaceRoutes.list`). A space no
   * longer readable is skipped.
   */
  private async compareJoined(result: SyncResult): Promise<void> {
    const owed = owedSpaceCompare(this.store)
    if (owed.length === 0) return
    const compared = await this.compare(owed)
    result.pulled += compared.pulled
    if (compared.missingOnServer > 0) await this.rounds(result)
    settleSpaceCompare(this.store, owed)
  }

  /** Whether a sync is in flight or queued. */
  get busy(): boolean {
    return this.running !== null || this.queued !== null
  }

  /** Resolves when no sync is in flight or queued (for `close`). */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)?.catch(() => undefined)
  }

  private async rounds(result: SyncResult): Promise<SyncResult> {
    let after = 0
    // Outbox bundles up to this position go one per request: a refusal of several bundles did
    // not say which one it was about (see `blame`).
    let oneByOne = 0
    let ahead: Sent | null = null
    let restamps = 0
    for (;;) {
      let pulledAhead = false
      if (ahead) {
        // The pull sent while the previous page was applied (sent only when nothing was left
        // to push); it carries on while the server has more.
        ahead = (await this.round([], result, ahead).catch(rethrow)).ahead
        if (ahead) continue
        pulledAhead = true
      }
      const chunk = this.nextChunk(after, after < oneByOne ? 1 : undefined)
      // The stream is drained: done, unless a local write came in meanwhile.
      if (pulledAhead && chunk.bundles.length === 0) return result
      const before = after
      after = chunk.lastSeq
      let round: Round
      try {
        round = await this.round(chunk.bundles, result, chunk.more ? null : undefined)
      } catch (thrown) {
        const error = unwrap(thrown)
        // A bundle refused for good leaves the outbox for the rejected list, and the rest of
        // the chunk goes again: one bad bundle must not hold back every later one.
        const culprit = thrown instanceof Refusal ? blame(chunk.bundles, error) : 'request'
        if (culprit !== 'request') {
          if (culprit === 'unknown') oneByOne = chunk.lastSeq
          else if (!(await this.adopt(culprit, error, result)))
            this.reject(culprit.id, error, result)
          after = before
          continue
        }
        // Refused by space (a role lowered to reader, a space lost): exactly the named bundles
        // are set aside and undone, the role news applied, and the rest goes again.
        if (thrown instanceof Refusal && this.setAside(chunk.bundles, error, result)) {
          after = before
          continue
        }
        // Bundles stamped further ahead than the server ever stored (by a clock that ran ahead,
        // an offset gone stale) get new stamps and go again, instead of waiting for real time.
        if (thrown instanceof Refusal && restamps < MAX_RESTAMPS && this.restamp(error)) {
          restamps += 1
          after = before
          continue
        }
        // A refused push (say, bundles stamped by a clock that ran ahead) must not stop this
        // device from receiving: pull what there is, then report the refusal.
        if (thrown instanceof Refusal && chunk.bundles.length > 0 && refusesBundles(error))
          while ((await this.round([], result, null).catch(rethrow)).more);
        throw error
      }
      ahead = round.ahead
      if (!chunk.more && !round.more) return result
    }
  }

  /** Sends one `POST /v1/sync` stamped with the corrected physical time (see `round`). */
  private send(bundles: PartedBundle[], cursor: string | null): Sent {
    const clock = this.store.clock
    const hlc = formatHlc({ ms: clock.physical(), counter: 0, node: clock.node })
    // Parts travel beside their bundles (see protocol wire/part.ts); usually there are none.
    const parts = partsOf(bundles)
    const request = {
      protocol: SYNC_PROTOCOL,
      client: clock.node,
      hlc,
      cursor,
      ...(parts.length === 0 ? { bundles } : { bundles: bundles.map(wholeBundle), parts }),
      ...(!this.resumed && { resume: true as const }),
      // The app's schema version, so a server can refuse apps too old for its data.
      ...(this.store.schema.version !== undefined && { schema: this.store.schema.version }),
    }
    return {
      answer: this.transport.post(ROUTES.sync, request, 'syncResponse'),
      hlc,
      resume: !this.resumed,
    }
  }

  /**
   * One `POST /v1/sync`: pushes `bundles`, applies the page it gets back together with the new
   * cursor and the acknowledgements (one SQLite transaction), and says whether the server has
   * more. The request carries the corrected physical time, not a logical HLC, so a device whose
   * clock ran ahead can still be told the time; when the server refuses that very timestamp as
   * drift, the offset is corrected from its answer and the round retried once.
   *
   * `sent` is a request already in flight (sent ahead). Unless `sent` is null, when the server
   * has more, the next pull goes out before this page is applied (returned as `ahead`): the
   * server reads and the network carries the next page while this client writes the current
   * one, which halves the time of a long initial sync. Its answer is used only once this page
   * is committed; if applying fails, it is dropped.
   */
  private async round(
    bundles: PartedBundle[],
    result: SyncResult,
    sent?: Sent | null,
    retried = false,
  ): Promise<Round> {
    const clock = this.store.clock
    const request = sent ?? this.send(bundles, this.store.getState('cursor') ?? null)
    let answer: Answer<SyncResponse>
    try {
      answer = await request.answer
    } catch (error) {
      const ahead = driftOf(error, request.hlc)
      if (retried || ahead === null) throw new Refusal(error)
      clock.setOffset(clock.offsetMs - ahead - DRIFT_MARGIN_MS)
      return this.round(bundles, result, sent === null ? null : undefined, true)
    }
    const res: SyncResponse = answer.body
    // An answer that waited while a page was applied has a long apparent round trip: it says
    // little about the clock offset, so only its time is taken in.
    if (sent) clock.receive(res.hlc)
    else this.learnOffset(res.hlc, answer.sentAt, answer.receivedAt)
    let ahead: Sent | null = null
    if (sent !== null && res.more) {
      ahead = this.send([], res.cursor)
      // Nobody awaits it when applying this page throws; that must not be an unhandled rejection.
      ahead.answer.catch(() => undefined)
      // `fetch` writes the request only once the event loop turns, and applying the page below
      // is synchronous: without this turn the server would start on the next page only after
      // this one is applied, and the two processes would take turns instead of overlapping.
      await nextTurn()
    }
    const recovery: RecoveryReason | null = recoveryFrom(this.store, res)
    // The clock has taken in the server's latest HLC of this client; what was written since the
    // rollback, before this answer, may reuse HLCs the server holds: stamped again above it.
    if (recovery === 'device_rolled_back' && res.own) {
      const { types } = restampAtOrBelow(this.store, res.own.hlc)
      if (types.size > 0) this.changed({ types, applied: 0 })
    }
    if (this.store.privateSpace === undefined && this.hasUnknownSpace(res)) await this.learnSpaces()
    const spaces = res.spaces ?? []
    const beforeBundles =
      spaces.length === 0
        ? undefined
        : (changes: Changes) => {
            // What this very request pushed is the server's before any news is applied: a
            // space dropped below must not report as refused a write the server just took.
            result.pushed += this.store.acknowledge(res.accepted)
            const removed = spaces.filter((s) => s.role === null).map((s) => s.id)
            const pushedInto = spacesOf(this.store, res.accepted, removed)
            applySpaceChanges(this.store, this.refused, spaces, changes.types)
            if (pushedInto.length > 0) oweSpaceCompare(this.store, pushedInto)
          }
    // The first page of a new device's pull of many pages: bulk load (see store/bulk-load.ts).
    if (res.more) this.store.beginBulkLoad()
    const changes = this.store.applyRemote(
      withParts(res.bundles, res.parts),
      () => {
        // Caught up: the indexes come back in the transaction of the last page.
        if (!res.more) this.store.endBulkLoad()
        if (!beforeBundles) result.pushed += this.store.acknowledge(res.accepted)
        this.store.setState('cursor', res.cursor)
        this.store.setState('offset_ms', String(clock.offsetMs))
        // Where the server compacted each space's history (`history()` tells it as truncated).
        for (const { space, hlc } of res.horizons ?? [])
          raiseHorizon(this.store.sql, space ?? null, hlc)
        // Owed in the same transaction as the cursor it came with: a crash cannot lose it.
        if (recovery) this.store.setState(RECOVERY_KEY, owe(recovery))
        // The server vouched for this device's log: what it writes from now on is not unvouched.
        if (request.resume && recovery !== 'device_rolled_back') clearUnresumed(this.store.sql)
      },
      beforeBundles,
    )
    result.pulled += changes.applied
    this.changed(changes)
    return { more: res.more, ahead }
  }

  /**
   * After a `clock_drift` refusal, re-stamps the queued bundles the server provably never stored
   * (see `neverStoredPast`, `restampPast`); says whether there were any.
   */
  private restamp(error: unknown): boolean {
    const bound = neverStoredPast(error)
    if (bound === null) return false
    const restamped = restampPast(this.store, bound)
    if (restamped.bundles.length === 0) return false
    this.changed({ types: restamped.types, applied: 0 })
    return true
  }

  /**
   * Handles a `forbidden` refusal naming pushed bundles (DESIGN §8, "Refusals by space"); says
   * whether it was one (false: a refusal of the request, thrown as before).
   */
  private setAside(pushed: readonly PartedBundle[], error: unknown, result: SyncResult): boolean {
    const details = forbiddenBundles(error)
    if (!details || !pushed.some((b) => details.bundles.includes(b.id))) return false
    const { rejected, types } = setAsideForbidden(
      this.store,
      this.refused,
      error as TidingsError,
      details,
    )
    result.rejected = (result.rejected ?? 0) + rejected
    this.changed({ types, applied: 0 })
    return true
  }

  /** Whether a page holds a bundle tagged with a space neither listed in it nor known here. */
  private hasUnknownSpace(res: SyncResponse): boolean {
    const listed = new Set((res.spaces ?? []).map((s) => s.id))
    return res.bundles.some(
      (b) =>
        b.space !== undefined &&
        !listed.has(b.space) &&
        roleIn(this.store.sql, b.space) === undefined,
    )
  }

  /**
   * Before refusing an own bundle for good as `conflict`: takes the server's version when it is
   * the same writes stamped otherwise (see `adopt.ts`); says whether it did.
   */
  private async adopt(bundle: Bundle, error: unknown, result: SyncResult): Promise<boolean> {
    const changes = await adoptServerVersion(this.store, this.transport, bundle, error)
    if (!changes) return false
    result.pushed += 1
    this.changed(changes)
    return true
  }

  /** Moves a bundle refused for good to the rejected list and tells the status stream. */
  private reject(bundle: string, error: unknown, result: SyncResult): void {
    this.refused.reject(bundle, error as TidingsError)
    result.rejected = (result.rejected ?? 0) + 1
    this.changed({ types: new Set(), applied: 0 })
  }

  /**
   * The next outbox bundles after position `after` that fit in one request (count and body
   * size). A bundle is never split here: a transaction too big for one request was committed
   * as several bundles, its parts (see store/parts.ts), which may go in several requests.
   */
  private nextChunk(
    after: number,
    max = this.limits.maxBundlesPerRequest,
  ): { bundles: PartedBundle[]; lastSeq: number; more: boolean } {
    const budget = this.limits.maxBodyBytes - ENVELOPE_BYTES
    const rows = this.store.outbox(after, max + 1)
    const bundles: PartedBundle[] = []
    let bytes = 0
    let lastSeq = after
    for (const row of rows) {
      if (bundles.length === max) break
      const bundle = this.store.bundle(row.bundle)
      if (!bundle) continue
      const size = jsonBytes(bundle) + 1
      if (bundles.length > 0 && bytes + size > budget) break
      bundles.push(bundle)
      bytes += size
      lastSeq = row.seq
    }
    return { bundles, lastSeq, more: rows.some((r) => r.seq > lastSeq) }
  }

  /**
   * Learns the device clock's offset from the server's HLC, assuming the answer was stamped
   * halfway through the round trip; differences within the round-trip noise count as none.
   */
  private learnOffset(serverHlc: string, sentAt: number, receivedAt: number): void {
    const clock = this.store.clock
    const estimate = parseHlc(serverHlc).ms - (sentAt + receivedAt) / 2
    const noise = (receivedAt - sentAt) / 2 + OFFSET_SLACK_MS
    clock.setOffset(Math.abs(estimate) <= noise ? 0 : Math.round(estimate))
    clock.receive(serverHlc)
  }

  /**
   * Compares bundle ids with the server (the prototype's `verifyBundlesAndPullMissing`):
   * fetches and applies what this replica lacks, queues what the server lacks, then syncs.
   */
  async verify(): Promise<VerifyResult> {
    const compared = await this.compare()
    const { pushed } = await this.sync()
    return { ...compared, pushed }
  }
}
