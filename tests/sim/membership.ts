import type { SimUser } from './device.js'
import type { World } from './world.js'

/**
 * The hook for spaces (DESIGN §8), which are being built while this simulation is: a
 * membership model says which spaces each user may read, and may add steps to a schedule
 * (create a space, invite, accept, change a role, remove a member) that drive the real
 * routes through `world.network` or `world.server`. The isolation check reads `readable` at
 * the end of a schedule; a model that revokes must also say, per device, which bundles it may
 * still hold (none of a space it left, DESIGN §8 "Leaving a space on a device").
 */
export interface Membership {
  /** Spaces `user` may read at the end of the schedule: its private space's id is its own. */
  readable(user: SimUser): ReadonlySet<string>
  /** Extra steps for the scheduler, drawn with these weights beside the built-in ones. */
  steps: ReadonlyArray<MembershipStep>
}

export interface MembershipStep {
  name: string
  weight: number
  run(world: World): Promise<void>
}

/** Today's model: every user reads its private space only, and membership never changes. */
export const privateSpacesOnly: Membership = {
  readable: (user) => new Set([user.id]),
  steps: [],
}
