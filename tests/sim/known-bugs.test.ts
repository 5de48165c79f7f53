import { describe, expect, it, vi } from 'vitest'
import { FIXED_BUGS, KNOWN_BUGS } from './known-bugs.js'
import { describeFailure } from './run.js'
import { type Outcome, runSchedule, runScript } from './schedule.js'
import { SharedSpaces } from './spaces.js'
import { syncOnce } from './steps.js'

vi.mock('uuidv7', () => import('./ids.js'))

// Each known product bug (known-bugs.ts), replayed two ways: from the first random schedule
// that showed it, and as a minimal scripted schedule (no network faults). `it.fails`: these
// pass while the bug is there; once it is fixed the schedule passes, vitest reports the test as
// failing, and the bug's entry in known-bugs.ts is to be deleted.

const expectClean = (outcome: Outcome): void => {
  if (outcome.failures.length)
    console.log(`${describeFailure(outcome)}\n${outcome.trace.join('\n')}`)
  expect(outcome.failures).toEqual([])
}

/** Minimal repros, by bug id: a name and a scripted schedule each. */
const SCRIPTS: Record<string, Record<string, () => Promise<Outcome>>> = {
  // a1 pushes X, the server and a1 both go back to before X; a1 resumes (the server holds
  // nothing of it), then a2, recovering from the restore, pushes X back for it: a1's pulls
  // leave out its own bundles and it never asks again, so it never gets X.
  'own-bundle-never-pulled': {
    'pushed back by another device': () =>
      runScript({ devices: [2] }, async (world) => {
        const [a1, a2] = world.devices as [(typeof world.devices)[0], (typeof world.devices)[0]]
        const server = world.server.backup()
        const device = a1.image()
        world.trace(`a1 writes: ${await a1.write(world.prng)}`)
        await syncOnce(world, a1)
        await syncOnce(world, a2)
        world.trace('server restored, a1 rolled back, both to before X')
        await world.server.restore(server)
        await a1.reopen(device)
        await syncOnce(world, a1)
        await syncOnce(world, a2)
      }),
    // The chaos suite's suspect: a1's push of X is delayed in the network; a1 rolls back to
    // before X and resumes (the server holds nothing of it yet); then the push lands. a1's
    // pulls leave out its own bundles: it never gets X, which every other device shows.
    'its own push landing after it rolled back and resumed': () =>
      runScript({ devices: [2] }, async (world) => {
        const a1 = world.devices[0] as (typeof world.devices)[0]
        const device = a1.image()
        world.trace(`a1 writes: ${await a1.write(world.prng)}`)
        world.network.forced.push('pass', 'delay')
        await syncOnce(world, a1)
        await a1.reopen(device)
        await syncOnce(world, a1)
        await world.network.deliverHeld()
      }),
  },
  // a1's clock runs 3 h ahead when it writes X; the server refuses X as drift and a1 re-stamps
  // it (same bundle and event ids, new HLCs), pushed. a1 then rolls back to a copy holding X
  // with its first stamps: the server's latest own bundle is X, which a1 "has", so no rollback
  // is seen; X is refused as drift again, re-stamped again (other HLCs), and refused for good
  // as a conflict with the X the server holds. a1 keeps its version: it diverges.
  // a1 writes X1 and X2 within one millisecond (its clock behind or frozen: the counter
  // counts), pushes both; it rolls back to a copy holding X1 only, so its last HLC is X1's.
  // Its next write gets X2's HLCs again, and the push after the server said "your latest
  // bundle is X2, which you lack" carries them all the same: two events share one HLC.
  'hlc-reissued-after-rollback': {
    'a write after the rollback': () =>
      runScript({ devices: [1] }, async (world) => {
        const a1 = world.devices[0] as (typeof world.devices)[0]
        world.trace(`a1 writes: ${await a1.write(world.prng)}`)
        const device = a1.image()
        world.trace(`a1 writes: ${await a1.write(world.prng)}`)
        await syncOnce(world, a1)
        await a1.reopen(device)
        world.trace(`a1 writes: ${await a1.write(world.prng)}`)
        await syncOnce(world, a1)
      }),
  },
  // a1 creates a space after the server's backup; the server is restored from it, so the space
  // is gone there; a1 syncs (its cursor predates the backup: no restore is seen) and keeps the
  // space in its list, as owner, for good.
  'space-kept-after-server-restore': {
    'a space created after the backup': () =>
      runScript(
        { devices: [1] },
        async (world) => {
          const a1 = world.devices[0] as (typeof world.devices)[0]
          await syncOnce(world, a1)
          const server = world.server.backup()
          const model = world.membership.snapshot?.()
          world.trace(`a1 creates space ${(await a1.api.createSpace('s')).name}`)
          await world.server.restore(server)
          world.membership.restore?.(model)
          await syncOnce(world, a1)
        },
        new SharedSpaces(),
      ),
  },
  // a invites b into its space as a writer; the server is backed up; b writes there, a pulls it;
  // the server is restored (b's bundle gone) and a makes b a reader. b, recovering, pushes its
  // bundle back: refused as forbidden and undone on b1, rightly. a1 keeps it for good.
  'others-bundle-kept-after-author-refused': {
    'the author became a reader after the restore': () =>
      runScript(
        { devices: [1, 1] },
        async (world) => {
          const [a1, b1] = world.devices as [(typeof world.devices)[0], (typeof world.devices)[0]]
          const space = await a1.api.createSpace('s')
          await b1.api.acceptInvite(await a1.api.invite(space.id, 'writer'))
          await syncOnce(world, a1)
          await syncOnce(world, b1)
          const server = world.server.backup()
          const model = world.membership.snapshot?.()
          world.trace(`b1 writes: ${await b1.write(world.prng, { space: space.id, entities: [] })}`)
          await syncOnce(world, b1)
          await syncOnce(world, a1)
          await world.server.restore(server)
          world.membership.restore?.(model)
          await a1.api.setRole(space.id, b1.user.id, 'reader')
          await syncOnce(world, b1)
          await syncOnce(world, a1)
        },
        new SharedSpaces(),
      ),
  },
  // b invites a into its space as a reader; a accepts and syncs; the server is backed up; a
  // leaves (its device drops the space); the server is restored, a member again there. a1's
  // cursor passes nothing the restore lost: no restore is seen, and nothing asks again.
  'space-left-before-server-restore': {
    'a leave after the backup': () =>
      runScript(
        { devices: [1, 1] },
        async (world) => {
          const [a1, b1] = world.devices as [(typeof world.devices)[0], (typeof world.devices)[0]]
          const space = await b1.api.createSpace('s')
          await a1.api.acceptInvite(await b1.api.invite(space.id, 'reader'))
          // History a1 holds, drops with the leave, and must get back once it is a member again.
          world.trace(`b1 writes: ${await b1.write(world.prng, { space: space.id, entities: [] })}`)
          await syncOnce(world, b1)
          await syncOnce(world, a1)
          await syncOnce(world, b1)
          const server = world.server.backup()
          const model = world.membership.snapshot?.()
          await a1.api.leaveSpace(space.id)
          await world.server.restore(server)
          world.membership.restore?.(model)
          await syncOnce(world, a1)
        },
        new SharedSpaces(),
      ),
  },
  // a1 creates a space; a2 learns it, then writes into the private space and into the space,
  // after the server's backup; a1 pulls both. a2 rolls back past its writes and the server is
  // restored: a1, recovering, pushes back a2's private bundle but dropped its bundle of the
  // shared space as another user's, the last copy of an acknowledged bundle.
  'sibling-bundle-dropped-after-restore': {
    'a sibling rolled back past its write into a shared space': () =>
      runScript(
        { devices: [2] },
        async (world) => {
          const [a1, a2] = world.devices as [(typeof world.devices)[0], (typeof world.devices)[0]]
          const space = await a1.api.createSpace('s')
          await syncOnce(world, a1)
          await syncOnce(world, a2)
          const server = world.server.backup()
          const model = world.membership.snapshot?.()
          const device = a2.image()
          world.trace(`a2 writes: ${await a2.write(world.prng)}`)
          world.trace(`a2 writes: ${await a2.write(world.prng, { space: space.id, entities: [] })}`)
          await syncOnce(world, a2)
          await syncOnce(world, a1)
          world.trace('server restored, a2 rolled back, both to before its writes')
          await world.server.restore(server)
          world.membership.restore?.(model)
          await a2.reopen(device)
          world.noteErased()
          await syncOnce(world, a1)
          await syncOnce(world, a2)
        },
        new SharedSpaces(),
      ),
  },
  'restamp-conflict-after-rollback': {
    're-stamped twice': () =>
      runScript({ devices: [1] }, async (world) => {
        const a1 = world.devices[0] as (typeof world.devices)[0]
        a1.skewMs = 3 * 3_600_000
        world.trace(`a1 writes: ${await a1.write(world.prng)}`)
        const device = a1.image()
        await syncOnce(world, a1)
        world.time += 5_000
        await a1.reopen(device)
        await syncOnce(world, a1)
      }),
  },
}

describe('known bugs found by the simulation', () => {
  // Also keeps the suite non-empty while no bug is open (vitest fails an empty suite).
  it('each has seeds, and none is listed as fixed too', () => {
    for (const bug of KNOWN_BUGS) expect(bug.seeds).not.toEqual([])
    const fixed = new Set(FIXED_BUGS.map((b) => b.id))
    expect(KNOWN_BUGS.filter((b) => fixed.has(b.id))).toEqual([])
  })
  for (const bug of KNOWN_BUGS) {
    it(`${bug.id} has a minimal repro`, () =>
      expect(Object.keys(SCRIPTS[bug.id] ?? {})).not.toEqual([]))
    for (const [name, script] of Object.entries(SCRIPTS[bug.id] ?? {}))
      it.fails(`${bug.id}, minimal (${name}): ${bug.title}`, async () =>
        expectClean(await script()))
    it.fails(`${bug.id}, as found (SIM_SEED=${bug.seeds[0]})`, async () =>
      expectClean(await runSchedule(bug.seeds[0] as number)))
  }
})

describe('bugs the simulation found, fixed since: their repros are regression tests', () => {
  for (const bug of FIXED_BUGS) {
    for (const [name, script] of Object.entries(SCRIPTS[bug.id] ?? {}))
      it(`${bug.id}, minimal (${name}): fixed by ${bug.fix}`, async () =>
        expectClean(await script()))
    for (const seed of bug.seeds)
      it(`${bug.id}, as found (SIM_SEED=${seed})`, async () => expectClean(await runSchedule(seed)))
  }
})
