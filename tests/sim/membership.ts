import type { Prng } from '../support/prng.js'
import type { Failure } from './checks.js'
import type { SimUser } from './device.js'
import type { SimAnswer, SimRequest } from './server.js'
import type { World } from './world.js'

/**
 * The hook for spaces (DESIGN §8): a membership model says which spaces each user may read,
 * and may add steps to a schedule (create a space, invite, accept, change a role, remove a
 * member, leave, write into a shared space) that drive the real routes through the devices'
 * client API over `world.network`. The isolation check reads `readable` at the end of a
 * schedule. `spaces.ts` is the real model; `privateSpacesOnly` keeps the schedules that share
 * nothing exactly as they were.
 */
export interface Membership {
  /** Called once, when the world it belongs to is built. */
  attach?(world: World): void
  /** Spaces `user` may read at the end of the schedule: its private space's id is its own. */
  readable(user: SimUser): ReadonlySet<string>
  /** Devices per user, drawn from the schedule's PRNG (default: 1–3 of `a`, 1–2 of `b`). */
  devices?(prng: Prng): number[]
  /** Extra steps for the scheduler, drawn with these weights beside the built-in ones. */
  steps: ReadonlyArray<MembershipStep>
  /**
   * Every request the server acted on, with its answer, in the order the server acted (late
   * deliveries and answers the network then lost included): the model follows and judges the
   * server here.
   */
  acted?(from: string, request: SimRequest, answer: SimAnswer): void
  /** The model's state when the server's database is backed up, handed back on its restore. */
  snapshot?(): unknown
  restore?(snapshot: unknown): void
  /** The model's own failures at the end of a schedule (after quiescence). */
  check?(world: World): Promise<Failure[]>
  /**
   * Whether the loss of bundle `id` (acknowledged, then gone from the server, or refused as
   * `forbidden`) is the membership's doing: its author lost the right to write its space.
   */
  excuses?(id: string, user: SimUser, events: ReadonlyArray<{ entity: string }>): boolean
}

export interface MembershipStep {
  name: string
  weight: number | ((world: World) => number)
  run(world: World): Promise<void>
}

/** Today's model: every user reads its private space only, and membership never changes. */
export const privateSpacesOnly: Membership = {
  readable: (user) => new Set([user.id]),
  steps: [],
}
