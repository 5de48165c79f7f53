import { describe, expect, it, vi } from 'vitest'
import { describeFailure } from './run.js'
import { runSchedule, runScript } from './schedule.js'
import { SharedSpaces } from './spaces.js'
import { syncOnce } from './steps.js'

vi.mock('uuidv7', () => import('./ids.js'))

// Outcomes the checks accept although an acknowledged write is gone, each named in the trace
// and each shown here by a schedule that reaches it, so the excuse stays as narrow as stated.

describe('outcomes that are no bug', () => {
  // b1 writes into its space after the server's backup; a1 (another user, a member) pulls it.
  // b1 rolls back past the write and the server is restored: a1 holds the last copy, may not
  // push another user's bundle, and drops it when it compares the space with the server. No
  // device of b can bring it back: erased, like a bundle no device holds.
  it('a bundle held only by other users when its own are gone counts as erased', async () => {
    const outcome = await runScript(
      { devices: [1, 1] },
      async (world) => {
        const [a1, b1] = world.devices as [(typeof world.devices)[0], (typeof world.devices)[0]]
        const space = await b1.api.createSpace('s')
        await a1.api.acceptInvite(await b1.api.invite(space.id, 'reader'))
        await syncOnce(world, b1)
        await syncOnce(world, a1)
        const server = world.server.backup()
        const model = world.membership.snapshot?.()
        const device = b1.image()
        world.trace(`b1 writes: ${await b1.write(world.prng, { space: space.id, entities: [] })}`)
        await syncOnce(world, b1)
        await syncOnce(world, a1)
        await world.server.restore(server)
        world.membership.restore?.(model)
        await b1.reopen(device)
        world.noteErased()
        await syncOnce(world, a1)
        await syncOnce(world, b1)
      },
      new SharedSpaces(),
    )
    if (outcome.failures.length) console.log(describeFailure(outcome))
    expect(outcome.failures).toEqual([])
    const erased = outcome.trace.filter((line) => line.includes(' erased'))
    expect(erased).toHaveLength(1)
    expect(erased[0]).toMatch(/erased: held only by other users \(a1\), who may not push it$/)
  })

  // As found by the long run of 2026-12-06 (file 2, SIM_BASE_SEED=580853199): c1 rolls back to
  // before it created its space and the server to before c1's write there, which a1 had pulled.
  it('as found (SIM_SEED=580862568)', async () => {
    const outcome = await runSchedule(580862568)
    if (outcome.failures.length) console.log(describeFailure(outcome))
    expect(outcome.failures).toEqual([])
    expect(outcome.trace.some((line) => line.includes('erased: held only by other users'))).toBe(
      true,
    )
  })
})
