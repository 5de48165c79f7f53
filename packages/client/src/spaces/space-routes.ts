import {
  type Invite,
  type Member,
  ROUTES,
  type Role,
  routePath,
  type Space,
  spaceSchemas,
  TidingsError,
} from '@tidings/protocol'
import {
  confirmSpaces,
  listSpaces,
  markUnconfirmed,
  rememberSpace,
  replaceSpaces,
  roleIn,
  unconfirmedSpaces,
} from '../store/known-spaces.js'
import type { Changes, Store } from '../store/store.js'
import { loseSpace } from '../sync/lose-space.js'
import type { RejectedBundles } from '../sync/rejected.js'
import { oweSpaceCompare } from '../sync/space-compare.js'
import type { Transport } from '../sync/transport.js'

/** Options of `invite`: how long the code works, and how many times. */
export interface InviteOptions {
  /** Seconds until the code expires (≥ 1); absent: it never expires. */
  expiresInSeconds?: number
  /** How many accepts the code allows (≥ 1); absent: unlimited. */
  maxUses?: number
}

/**
 * The spaces routes of DESIGN §8 as client calls, keeping the device's list of spaces (table
 * `spaces`) in step with what each answer says. Refusals are the server's `TidingsError`s:
 * `forbidden` (not an owner, not a member), `not_found` (unknown space, member or invite code),
 * `gone` (an invite expired or used up), `last_owner` (the last owner cannot leave or step down).
 */
export class SpaceRoutes {
  constructor(
    private readonly store: Store,
    private readonly transport: () => Transport,
    private readonly refused: RejectedBundles,
    /** Tells observers and the status stream what a change to the spaces did. */
    private readonly changed: (changes: Changes) => void,
  ) {}

  /** The spaces as this device last heard of them (no request). */
  cached(): Space[] {
    return listSpaces(this.store.sql)
  }

  /**
   * Asks the server for this user's spaces (the private one included, `private: true`), keeps
   * them, and drops the local rows of any space the server no longer lists.
   */
  async list(): Promise<Space[]> {
    // What was learnt from direct answers before this request is confirmed (or dropped) by it.
    const unconfirmed = unconfirmedSpaces(this.store.sql)
    const { spaces } = await this.transport().call(
      'GET',
      ROUTES.spaces,
      undefined,
      spaceSchemas.spacesResponse,
    )
    const types = new Set<string>()
    this.store.sql.transaction(() => {
      // A space this device left (or was removed from) by a direct answer that the server lists
      // again lost that change (restored from a backup taken before it): its rows went here with
      // the leave and the cursor is past them, so its bundle ids are compared with the server's.
      const back = spaces
        .map((s) => s.id)
        .filter((id) => unconfirmed.includes(id) && roleIn(this.store.sql, id) === undefined)
      for (const gone of replaceSpaces(this.store.sql, spaces))
        for (const type of loseSpace(this.store, this.refused, gone)) types.add(type)
      if (back.length > 0) oweSpaceCompare(this.store, back)
      confirmSpaces(this.store.sql, unconfirmed)
    })
    this.changed({ types, applied: 0 })
    return this.cached()
  }

  /** Creates a shared space; this user is its `owner`. */
  async create(name: string): Promise<Space> {
    const { space } = await this.transport().call(
      'POST',
      ROUTES.spaces,
      { name },
      spaceSchemas.spaceResponse,
    )
    this.remember(space)
    return space
  }

  /** Makes an invite code granting `role` in `space` (owners only); the code is shown once. */
  async invite(space: string, role: Role, options: InviteOptions = {}): Promise<string> {
    const body = {
      role,
      ...(options.expiresInSeconds !== undefined && {
        expiresInSeconds: options.expiresInSeconds,
      }),
      ...(options.maxUses !== undefined && { maxUses: options.maxUses }),
    }
    const answer = await this.transport().call(
      'POST',
      routePath(ROUTES.invites, { space }),
      body,
      spaceSchemas.inviteCreatedResponse,
    )
    return answer.code
  }

  /** The invites of `space` (owners only), without their codes. */
  async invites(space: string): Promise<Invite[]> {
    const answer = await this.transport().call(
      'GET',
      routePath(ROUTES.invites, { space }),
      undefined,
      spaceSchemas.invitesResponse,
    )
    return answer.invites
  }

  /** Revokes an invite (owners only): its code stops working. */
  async revokeInvite(space: string, invite: string): Promise<void> {
    await this.transport().call(
      'DELETE',
      routePath(ROUTES.invite, { space, invite }),
      undefined,
      null,
    )
  }

  /** Joins the space an invite code names; its history arrives with the next syncs. */
  async accept(code: string): Promise<Space> {
    const { space } = await this.transport().call(
      'POST',
      ROUTES.acceptInvite,
      { code },
      spaceSchemas.spaceResponse,
    )
    this.remember(space)
    return space
  }

  /** The members of `space` (any member may ask). */
  async members(space: string): Promise<Member[]> {
    const answer = await this.transport().call(
      'GET',
      routePath(ROUTES.members, { space }),
      undefined,
      spaceSchemas.membersResponse,
    )
    return answer.members
  }

  /** Changes an existing member's role (owners only). */
  async setRole(space: string, user: string, role: Role): Promise<Member> {
    const { member } = await this.transport().call(
      'PUT',
      routePath(ROUTES.member, { space, user }),
      { role },
      spaceSchemas.memberResponse,
    )
    if (user === this.store.privateSpace)
      this.store.sql.transaction(() => {
        this.store.sql.run(SET_ROLE, [role, space])
        markUnconfirmed(this.store.sql, space)
      })
    this.changed({ types: new Set(), applied: 0 })
    return member
  }

  /** Removes a member (owners only; anyone may remove itself, which is `leave`). */
  async removeMember(space: string, user: string): Promise<void> {
    await this.transport().call(
      'DELETE',
      routePath(ROUTES.member, { space, user }),
      undefined,
      null,
    )
    if (user !== this.store.privateSpace) return
    // Unconfirmed like a join: if a restore takes the removal back, the next sync's feed never
    // names it, and the device asks the server's list again (see `unconfirmedSpaces`).
    const types = this.store.sql.transaction(() => {
      markUnconfirmed(this.store.sql, space)
      return loseSpace(this.store, this.refused, space)
    })
    this.changed({ types, applied: 0 })
  }

  /**
   * Leaves `space`: this user stops being a member, and this device drops the space's rows
   * (its unsent writes into it go to `rejected()` as `forbidden`).
   */
  async leave(space: string): Promise<void> {
    const me = this.store.privateSpace ?? (await this.learnPrivateSpace())
    if (space === me) throw new TidingsError('bad_request', 'the private space cannot be left')
    await this.removeMember(space, me)
  }

  private async learnPrivateSpace(): Promise<string> {
    await this.list()
    const me = this.store.privateSpace
    if (me === undefined)
      throw new TidingsError('bad_answer', 'the server listed no private space (GET /v1/spaces)')
    return me
  }

  private remember(space: Space): void {
    this.store.sql.transaction(() => {
      rememberSpace(this.store.sql, space)
      markUnconfirmed(this.store.sql, space.id)
    })
    this.changed({ types: new Set(), applied: 0 })
  }
}

const SET_ROLE = 'UPDATE spaces SET role = ? WHERE id = ?'
