import { checkWorld, type Failure } from './checks.js'
import { type Membership, privateSpacesOnly } from './membership.js'
import { SharedSpaces } from './spaces.js'
import { STEPS, type Step, syncOnce } from './steps.js'
import { World, type WorldShape } from './world.js'

export interface ScheduleOptions {
  /** Steps before the final quiescence; default drawn from the seed (20 to 60). */
  steps?: number
  shape?: WorldShape
  membership?: Membership
  /** Runs on the world once it is built (the harness's own tests plant bugs here). */
  prepare?: (world: World) => void
}

export interface Outcome {
  seed: number
  failures: Failure[]
  /** Every decision and result, one line each: the same seed gives the same lines. */
  trace: string[]
  steps: number
  /** A scripted schedule (`runScript`): its seed replays nothing. */
  scripted?: true
}

/** Rounds of "every device syncs" allowed to reach quiescence. */
const MAX_QUIET_ROUNDS = 8

/**
 * Runs one schedule: builds the world from `seed`, runs its steps (each drawn by the seed's
 * PRNG, with a little simulated time between them), then heals everything (no faults, the
 * server up, held requests delivered) and syncs every device until a whole round moves
 * nothing; then checks. A throw anywhere is a failure of the schedule, not of the runner.
 */
export const runSchedule = async (seed: number, options: ScheduleOptions = {}): Promise<Outcome> =>
  run(seed, { ...options, membership: options.membership ?? membershipOf(seed) }, async (world) => {
    const steps = options.steps ?? world.prng.int(20, 60)
    const all: readonly Step[] = [
      ...STEPS,
      ...world.membership.steps.map((s) => ({
        name: s.name,
        weight: typeof s.weight === 'function' ? s.weight : () => s.weight as number,
        run: s.run,
      })),
    ]
    for (let i = 0; i < steps; i++) {
      world.time += world.prng.int(1, 3_000)
      const weights = Object.fromEntries(all.map((s) => [s.name, s.weight(world)]))
      const name = world.prng.weighted(weights)
      await (all.find((s) => s.name === name) as Step).run(world)
    }
    return steps
  })

/**
 * Which schedules share: even seeds run the membership model of `spaces.ts` (shared spaces,
 * invites, role changes, removals); odd seeds keep every user in its private space, exactly
 * the schedules they were before spaces (so their seeds still replay what they found).
 */
export const sharesSpaces = (seed: number): boolean => seed % 2 === 0

const membershipOf = (seed: number): Membership =>
  sharesSpaces(seed) ? new SharedSpaces() : privateSpacesOnly

/**
 * Runs a scripted schedule (a minimal repro): `script` drives the world by hand, with the
 * network faultless unless it says otherwise; then quiescence and the same checks.
 */
export const runScript = (
  shape: WorldShape,
  script: (world: World) => Promise<void>,
  membership: Membership = privateSpacesOnly,
): Promise<Outcome> =>
  run(0, { shape, membership }, async (world) => {
    world.network.faulty = false
    await script(world)
    return 0
  }).then((outcome) => ({ ...outcome, scripted: true }))

const run = async (
  seed: number,
  options: ScheduleOptions,
  drive: (world: World) => Promise<number>,
): Promise<Outcome> => {
  const world = await World.create(seed, options.shape, options.membership)
  options.prepare?.(world)
  const failures: Failure[] = []
  let steps = 0
  try {
    steps = await drive(world)
    failures.push(...(await quiesce(world)))
    failures.push(...(await checkWorld(world)))
  } catch (error) {
    world.trace(`THROWN ${String(error)}`)
    failures.push({ check: 'crash', detail: (error as Error)?.stack ?? String(error) })
  } finally {
    await world.close().catch(() => undefined)
  }
  return { seed, failures, trace: world.lines, steps }
}

/**
 * Heals the world and syncs every device until a whole round moves nothing. Between rounds
 * that still move, time passes, more each round (1, 2, 4, … minutes): what only waiting fixes
 * (a server clock set back past the drift limit) heals as it would in the field.
 */
const quiesce = async (world: World): Promise<Failure[]> => {
  world.trace('quiescence')
  world.network.faulty = false
  if (!world.server.up) await world.server.start()
  await world.network.deliverAllHeld()
  for (let round = 0; round < MAX_QUIET_ROUNDS; round++) {
    let moved = 0
    world.lastErrors.clear()
    for (const device of world.devices) {
      world.time += 1_000
      const n = await syncOnce(world, device)
      moved += n === 0 ? 0 : 1
    }
    const pending = world.devices.filter((d) => d.store.pending() > 0)
    if (moved === 0 && pending.length === 0) return []
    world.time += 60_000 * 2 ** round
  }
  const errors = [...world.lastErrors].map(([device, code]) => `${device}: ${code}`)
  return [
    {
      check: 'quiescence',
      detail: `still moving or pending after ${MAX_QUIET_ROUNDS} rounds of syncs${errors.length ? ` (last errors ${errors.join(', ')})` : ''}`,
    },
  ]
}
