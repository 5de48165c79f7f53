import { isTidingsError } from '@tidings/protocol'
import type { Prng } from '../support/prng.js'
import type { Failure } from './checks.js'
import { type SimDevice, type SimUser, short } from './device.js'
import type { Membership, MembershipStep } from './membership.js'
import type { SimAnswer, SimRequest } from './server.js'
import type { World } from './world.js'

/**
 * The membership model of schedules that share (DESIGN §8): steps that create shared spaces,
 * invite, accept, change roles (writer ↔ reader), remove members, leave, and write into shared
 * spaces, all through the devices' client API over the simulated network; and a model of who
 * may read and write which space, kept here from the requests the server acts on, never from
 * the product's code or tables.
 *
 * The model predicts each membership request's outcome (owner only, members only, invite uses,
 * the last owner) and each push's (a bundle lands only in a space its author may write now,
 * unless the space holds it already), and judges every answer against it as the server acts:
 * - `membership`: the server did otherwise than predicted (refused what the model allows, or
 *   the reverse), or a device's list of spaces differs from the model's at the end;
 * - `isolation`: a bundle landed in a space its author could not write then; a device was sent
 *   a bundle of a space its user was not a member of then; at the end a device holds a bundle,
 *   event, register or typed row of a space its user is not in.
 */

type Role = 'owner' | 'writer' | 'reader'
const RANK: Record<Role, number> = { owner: 3, writer: 2, reader: 1 }
const writes = (role: Role | undefined): boolean => role === 'owner' || role === 'writer'

/** What the server holds, as the model sees it: restored with the server's backups. */
interface State {
  /** Shared space → member (user id) → role. */
  members: Map<string, Map<string, Role>>
  /** Invite code → what it grants and how many uses are left. */
  invites: Map<string, { space: string; role: Role; left: number }>
  /** Bundles the server acknowledged holding (the `accepted` of its sync answers) → when. */
  landed: Map<string, number>
}

const copy = (state: State): State => ({
  members: new Map([...state.members].map(([space, m]) => [space, new Map(m)])),
  invites: new Map([...state.invites].map(([code, i]) => [code, { ...i }])),
  landed: new Map(state.landed),
})

/** An invite code its owner's device received, not yet used up as far as the devices know. */
interface Code {
  code: string
  space: string
  role: Role
  by: string
}

/** Shared spaces at most per schedule. */
const MAX_SPACES = 3

interface WireBundle {
  id: string
  space?: string
  events?: Array<{ entity: string }>
}

export class SharedSpaces implements Membership {
  private state: State = { members: new Map(), invites: new Map(), landed: new Map() }
  /** The server's acts counted, in order: the model's clock. */
  private tick = 0
  /** `user|space` → when the user's membership of the space last ended. */
  private readonly ended = new Map<string, number>()
  /** `user|space`: the user lost the right to write the space at some point. */
  private readonly revoked = new Set<string>()
  /** Bundles the server refused as `forbidden` when the model refused them too. */
  private readonly refusedOk = new Set<string>()
  /** Shared bundle → its space, as pushed (or created, for bundles never pushed). */
  private readonly bundleSpace = new Map<string, string>()
  /** Entity → its shared space; entities created in each shared space. */
  private readonly entitySpace = new Map<string, string>()
  private readonly entities = new Map<string, string[]>()
  private readonly codes: Code[] = []
  private readonly failures: Failure[] = []
  private named = 0
  private world: World | null = null

  attach(world: World): void {
    this.world = world
  }

  devices(prng: Prng): number[] {
    return [prng.int(1, 2), prng.int(1, 2), 1]
  }

  readable(user: SimUser): ReadonlySet<string> {
    const spaces = new Set([user.id])
    for (const [space, members] of this.state.members) if (members.has(user.id)) spaces.add(space)
    return spaces
  }

  snapshot(): unknown {
    return copy(this.state)
  }

  restore(snapshot: unknown): void {
    const before = this.state
    this.state = copy(snapshot as State)
    // A restore rolls memberships back too: whoever lost a role by it lost the right to write.
    for (const [space, members] of before.members)
      for (const [user, role] of members)
        if (writes(role) && !writes(this.state.members.get(space)?.get(user)))
          this.revoked.add(`${user}|${space}`)
    for (const [space, members] of before.members)
      for (const user of members.keys())
        if (!this.state.members.get(space)?.has(user)) this.leaves(user, space)
  }

  excuses(id: string, user: SimUser, events: ReadonlyArray<{ entity: string }>): boolean {
    if (this.refusedOk.has(id)) return true
    const space =
      this.bundleSpace.get(id) ??
      events.map((e) => this.entitySpace.get(e.entity)).find((s) => s !== undefined)
    return space !== undefined && this.revoked.has(`${user.id}|${space}`)
  }

  private role(user: string, space: string): Role | undefined {
    return this.state.members.get(space)?.get(user)
  }

  private userOf(device: string): SimUser {
    return (this.world as World).device(device).user
  }

  private fail(check: Failure['check'], detail: string, device?: string): void {
    this.failures.push({ check, detail, ...(device !== undefined && { device }) })
    this.world?.trace(`MODEL ${check}${device ? ` on ${device}` : ''}: ${detail}`)
  }

  private lose(user: string, space: string): void {
    this.revoked.add(`${user}|${space}`)
  }

  private leaves(user: string, space: string): void {
    this.lose(user, space)
    this.ended.set(`${user}|${space}`, this.tick)
  }

  // The server's acts, judged as it acts.

  acted(from: string, request: SimRequest, answer: SimAnswer): void {
    this.tick += 1
    const user = this.userOf(from)
    const path = request.url.split('?')[0] as string
    const ok = answer.status >= 200 && answer.status < 300
    const body = parse(answer.body)
    const asked = parse(request.body ?? '')
    const parts = path.split('/').filter(Boolean) // ['v1', 'spaces', id, 'members', user]
    if (path === '/v1/sync') {
      this.synced(from, user, asked, answer, body)
      return
    }
    if (path === '/v1/bundles' || path === '/v1/bundles/get') {
      if (ok) this.received(from, user, (body.bundles as WireBundle[]) ?? [])
      return
    }
    if (path === '/v1/spaces' && request.method === 'POST') {
      if (!ok) {
        this.fail('membership', `creating a space refused: ${answer.status}`, from)
        return
      }
      const space = (body.space as { id: string }).id
      this.state.members.set(space, new Map([[user.id, 'owner']]))
      return
    }
    if (path === '/v1/spaces' && request.method === 'GET') {
      if (!ok) return
      const listed = (body.spaces as Array<{ id: string; role: Role; private?: boolean }>)
        .filter((s) => !s.private)
        .map((s) => `${short(s.id)}:${s.role}`)
        .sort()
      const model = this.memberships(user.id)
      if (listed.join() !== model.join())
        this.fail('membership', `GET /v1/spaces lists ${listed} but the model has ${model}`, from)
      return
    }
    if (path === '/v1/invites/accept') {
      this.accepted(from, user, asked, answer, body)
      return
    }
    if (parts[1] !== 'spaces' || !parts[2]) return
    const space = parts[2]
    const mine = this.role(user.id, space)
    if (parts[3] === 'invites' && request.method === 'POST') {
      const expect = mine === 'owner'
      this.judge(from, `invite to ${short(space)}`, expect, answer)
      if (ok)
        this.state.invites.set(body.code as string, {
          space,
          role: asked.role as Role,
          left: (asked.maxUses as number | undefined) ?? Number.POSITIVE_INFINITY,
        })
      return
    }
    if (parts[3] !== 'members' || !parts[4]) return
    const target = parts[4]
    const members = this.state.members.get(space)
    const theirs = members?.get(target)
    const owners = [...(members?.values() ?? [])].filter((r) => r === 'owner').length
    if (request.method === 'PUT') {
      const role = asked.role as Role
      const lastOwner = theirs === 'owner' && role !== 'owner' && owners === 1
      const expect = mine === 'owner' && theirs !== undefined && !lastOwner
      this.judge(from, `set ${short(target)} ${role} in ${short(space)}`, expect, answer)
      if (ok && members) {
        members.set(target, role)
        if (!writes(role)) this.lose(target, space)
      }
      return
    }
    if (request.method === 'DELETE') {
      const allowed = mine === 'owner' || target === user.id
      const expect = allowed && theirs !== undefined && !(theirs === 'owner' && owners === 1)
      this.judge(from, `remove ${short(target)} from ${short(space)}`, expect, answer)
      if (ok && members) {
        members.delete(target)
        this.leaves(target, space)
      }
    }
  }

  /** Compares what the server did (2xx or a refusal) with what the model expected. */
  private judge(from: string, what: string, expected: boolean, answer: SimAnswer): void {
    const ok = answer.status >= 200 && answer.status < 300
    if (ok !== expected)
      this.fail(
        'membership',
        `${what}: server answered ${answer.status}${errorCode(answer)}, the model expected ${expected ? 'success' : 'a refusal'}`,
        from,
      )
  }

  private accepted(
    from: string,
    user: SimUser,
    asked: Record<string, unknown>,
    answer: SimAnswer,
    body: Record<string, unknown>,
  ): void {
    const invite = this.state.invites.get(asked.code as string)
    const before = invite ? this.role(user.id, invite.space) : undefined
    const keeps = before !== undefined && invite !== undefined && RANK[before] >= RANK[invite.role]
    const expect = invite !== undefined && (keeps || invite.left > 0)
    this.judge(
      from,
      `accept an invite${invite ? ` to ${short(invite.space)}` : ''}`,
      expect,
      answer,
    )
    if (!(answer.status >= 200 && answer.status < 300) || !invite) return
    const role = keeps ? (before as Role) : invite.role
    const got = (body.space as { role: Role }).role
    if (got !== role)
      this.fail('membership', `accept answered role ${got}, the model has ${role}`, from)
    if (!keeps) invite.left -= 1
    let members = this.state.members.get(invite.space)
    if (!members) {
      members = new Map()
      this.state.members.set(invite.space, members)
    }
    members.set(user.id, role)
  }

  private synced(
    from: string,
    user: SimUser,
    asked: Record<string, unknown>,
    answer: SimAnswer,
    body: Record<string, unknown>,
  ): void {
    const pushed = (asked.bundles as WireBundle[] | undefined) ?? []
    const verdicts = new Map<string, { space: string; allowed: boolean }>()
    for (const b of pushed) {
      const space = b.space ?? user.id
      if (b.space !== undefined) this.bundleSpace.set(b.id, b.space)
      const allowed =
        space === user.id || this.state.landed.has(b.id) || writes(this.role(user.id, space))
      verdicts.set(b.id, { space, allowed })
    }
    if (answer.status === 200) {
      for (const id of (body.accepted as string[] | undefined) ?? []) {
        const verdict = verdicts.get(id)
        if (verdict && !verdict.allowed)
          this.fail(
            'isolation',
            `bundle ${short(id)} landed in space ${short(verdict.space)}, where its author's role is ${this.role(user.id, verdict.space) ?? 'none'}`,
            from,
          )
        if (!this.state.landed.has(id)) this.state.landed.set(id, this.tick)
      }
      this.received(from, user, (body.bundles as WireBundle[] | undefined) ?? [])
      return
    }
    const error = body.error as { code?: string; details?: { bundles?: string[] } } | undefined
    if (error?.code !== 'forbidden') {
      // Anything else (clock drift, a conflict) is the other checks' business; a push the model
      // refuses must not be answered otherwise than `forbidden`, though.
      const refused = [...verdicts].filter(([, v]) => !v.allowed)
      if (refused.length > 0 && answer.status < 500 && error?.code !== 'clock_drift')
        this.fail(
          'membership',
          `a push of ${refused.map(([id]) => short(id))} (not writable) answered ${answer.status}${errorCode(answer)}`,
          from,
        )
      return
    }
    const listed = error.details?.bundles ?? []
    for (const id of listed) {
      const verdict = verdicts.get(id)
      if (verdict?.allowed)
        this.fail(
          'membership',
          `bundle ${short(id)} refused as forbidden in space ${short(verdict.space)}, where its author's role is ${this.role(user.id, verdict.space) ?? 'none (private)'}`,
          from,
        )
      else this.refusedOk.add(id)
    }
    if (listed.length === 0)
      this.fail('membership', `a push refused as forbidden naming no bundle: ${answer.body}`, from)
  }

  /**
   * Bundles the server sends `user` must be of spaces it is a member of now, or of a space it
   * left that they landed in before it left (DESIGN §8: a removal comes after every bundle of
   * that space the device may still receive, in this page or a later one; the device drops them
   * with the removal, which the final isolation check sees).
   */
  private received(from: string, user: SimUser, bundles: readonly WireBundle[]): void {
    for (const b of bundles) {
      const space = b.space ?? user.id
      if (space === user.id || this.role(user.id, space) !== undefined) continue
      const ended = this.ended.get(`${user.id}|${space}`)
      const landed = this.state.landed.get(b.id)
      const why =
        ended === undefined
          ? 'which its user never left'
          : landed === undefined || landed > ended
            ? 'landed after its user left it'
            : null
      if (why)
        this.fail(
          'isolation',
          `sent bundle ${short(b.id)} of space ${short(space)}, not its user's: ${why}`,
          from,
        )
    }
  }

  /** A user's shared spaces with their roles, as `id:role` sorted (for comparisons). */
  private memberships(user: string): string[] {
    const out: string[] = []
    for (const [space, members] of this.state.members) {
      const role = members.get(user)
      if (role) out.push(`${short(space)}:${role}`)
    }
    return out.sort()
  }

  // The steps.

  readonly steps: MembershipStep[] = [
    {
      name: 'create space',
      weight: () =>
        this.state.members.size === 0 ? 12 : this.state.members.size < MAX_SPACES ? 2 : 0,
      run: async (world) => {
        const device = world.prng.pick(world.devices)
        const name = `s${++this.named}`
        await this.call(world, device, `creates space ${name}`, async () => {
          const space = await device.api.createSpace(name)
          return short(space.id)
        })
      },
    },
    {
      name: 'invite',
      weight: () => (this.owned().length > 0 ? 6 : 0),
      run: async (world) => {
        const { space, user } = world.prng.pick(this.owned())
        const device = this.deviceOf(world, user)
        const role: Role = world.prng.chance(0.6) ? 'writer' : 'reader'
        await this.call(world, device, `invites a ${role} to ${short(space)}`, async () => {
          const code = await device.api.invite(space, role, { maxUses: 1 })
          this.codes.push({ code, space, role, by: device.user.id })
          return `code #${this.codes.length}`
        })
      },
    },
    {
      name: 'accept',
      weight: () => (this.codes.length > 0 ? 14 : 0),
      run: async (world) => {
        const i = world.prng.int(0, this.codes.length - 1)
        const code = this.codes[i] as Code
        const others = world.users.filter((u) => u.id !== code.by)
        const device = this.deviceOf(world, world.prng.pick(others).id)
        const again = world.prng.chance(0.15)
        const outcome = await this.call(
          world,
          device,
          `accepts a ${code.role} invite to ${short(code.space)}`,
          async () => (await device.api.acceptInvite(code.code)).role,
        )
        // Used (or refused for good): a device keeps it only to try it once more, now and then.
        if (outcome !== 'unavailable' && !again) this.codes.splice(i, 1)
      },
    },
    {
      name: 'set role',
      weight: () => (this.others().length > 0 ? 6 : 0),
      run: async (world) => {
        const { space, user, role } = world.prng.pick(this.others())
        // Now and then a non-owner tries (and must be refused).
        const owner = world.prng.chance(0.9)
          ? this.owned().find((o) => o.space === space)?.user
          : user
        const device = this.deviceOf(world, owner ?? user)
        const next: Role = role === 'writer' ? 'reader' : 'writer'
        await this.call(world, device, `sets ${short(user)} ${next} in ${short(space)}`, () =>
          device.api.setRole(space, user, next).then((m) => m.role),
        )
      },
    },
    {
      name: 'remove member',
      weight: () => (this.others().length > 0 ? 5 : 0),
      run: async (world) => {
        const { space, user } = world.prng.pick(this.others())
        const owner = this.owned().find((o) => o.space === space)?.user ?? user
        const device = this.deviceOf(world, owner)
        await this.call(world, device, `removes ${short(user)} from ${short(space)}`, () =>
          device.api.removeMember(space, user).then(() => 'done'),
        )
      },
    },
    {
      name: 'leave',
      weight: () => (this.others().length > 0 ? 4 : 0),
      run: async (world) => {
        // Mostly a non-owner; now and then the last owner, who must be refused.
        const pool =
          world.prng.chance(0.9) || this.owned().length === 0 ? this.others() : this.owned()
        const { space, user } = world.prng.pick(pool)
        const device = this.deviceOf(world, user)
        await this.call(world, device, `leaves ${short(space)}`, () =>
          device.api.leaveSpace(space).then(() => 'done'),
        )
      },
    },
    {
      name: 'shared write',
      weight: (world) => (world.devices.some((d) => sharedOf(d).length > 0) ? 26 : 0),
      run: async (world) => {
        const device = world.prng.pick(world.devices.filter((d) => sharedOf(d).length > 0))
        const space = world.prng.pick(sharedOf(device))
        let entities = this.entities.get(space)
        if (!entities) {
          entities = []
          this.entities.set(space, entities)
        }
        const before = entities.length
        await this.call(world, device, `writes into ${short(space)}`, () =>
          device.write(world.prng, { space, entities }),
        )
        for (const id of entities.slice(before)) this.entitySpace.set(id, space)
      },
    },
  ]

  /** Spaces with their owner (the model's view), in creation order. */
  private owned(): Array<{ space: string; user: string }> {
    const out: Array<{ space: string; user: string }> = []
    for (const [space, members] of this.state.members)
      for (const [user, role] of members) if (role === 'owner') out.push({ space, user })
    return out
  }

  /** Members that are not owners (the model's view). */
  private others(): Array<{ space: string; user: string; role: Role }> {
    const out: Array<{ space: string; user: string; role: Role }> = []
    for (const [space, members] of this.state.members)
      for (const [user, role] of members) if (role !== 'owner') out.push({ space, user, role })
    return out
  }

  private deviceOf(world: World, user: string): SimDevice {
    return world.prng.pick(world.devices.filter((d) => d.user.id === user))
  }

  /**
   * Runs one client call, tracing what it returned or the error's code; returns that code or
   * 'ok'. Refusals are the model's to judge (on the wire); only a throw that is not a Tidings
   * error is an anomaly.
   */
  private async call(
    world: World,
    device: SimDevice,
    what: string,
    fn: () => Promise<string>,
  ): Promise<string> {
    try {
      world.trace(`${device.name} ${what}: ${await fn()}`)
      return 'ok'
    } catch (error) {
      const code = isTidingsError(error) ? error.code : 'thrown'
      world.trace(`${device.name} ${what}: failed ${code}`)
      if (code === 'thrown') world.anomalies.push(`${device.name} ${what}: ${String(error)}`)
      return code
    }
  }

  // The end of the schedule.

  async check(world: World): Promise<Failure[]> {
    const failures = [...this.failures]
    const entitySpace = new Map<string, string>()
    const bundleSpace = new Map<string, string>()
    for (const b of world.server.bundles()) {
      bundleSpace.set(b.id, b.stream)
      for (const e of b.events) if (!entitySpace.has(e.entity)) entitySpace.set(e.entity, b.stream)
    }
    for (const [entity, space] of this.entitySpace)
      if (!entitySpace.has(entity)) entitySpace.set(entity, space)
    for (const device of world.devices) {
      const readable = this.readable(device.user)
      const foreign = (what: string, ids: Iterable<string>, spaceOf: Map<string, string>) => {
        const found = [...ids].filter((id) => {
          const space = spaceOf.get(id)
          return space !== undefined && !readable.has(space)
        })
        if (found.length > 0)
          failures.push({
            check: 'isolation',
            device: device.name,
            detail: `holds ${what} of spaces its user is not in: ${found.slice(0, 5).map(short).join(', ')}${found.length > 5 ? ` (and ${found.length - 5} more)` : ''}`,
          })
      }
      const column = <T>(sql: string, key: keyof T): string[] =>
        device.rows<T>(sql).map((r) => String(r[key]))
      foreign('bundles', column<{ id: string }>('SELECT id FROM bundles', 'id'), bundleSpace)
      const local = new Map(
        device
          .rows<{ id: string; space: string }>(
            'SELECT id, space FROM bundles WHERE space IS NOT NULL',
          )
          .map((r) => [r.id, r.space]),
      )
      foreign('bundles (by their local space)', local.keys(), local)
      foreign(
        'events',
        column<{ entity: string }>('SELECT DISTINCT entity FROM events', 'entity'),
        entitySpace,
      )
      foreign(
        'registers',
        column<{ entity: string }>('SELECT DISTINCT entity FROM attributes', 'entity'),
        entitySpace,
      )
      foreign('typed rows', column<{ id: string }>('SELECT id FROM t_note', 'id'), entitySpace)
      const listed = device
        .rows<{ id: string; role: string }>('SELECT id, role FROM spaces WHERE private = 0')
        .map((s) => `${short(s.id)}:${s.role}`)
        .sort()
      const model = this.memberships(device.user.id)
      if (listed.join() !== model.join())
        failures.push({
          check: 'membership',
          device: device.name,
          detail: `knows spaces ${listed.join(' ') || 'none'}, the model has ${model.join(' ') || 'none'}`,
        })
    }
    return failures
  }
}

/** The shared spaces a device knows it belongs to (any role: writing as a reader is refused). */
const sharedOf = (device: SimDevice): string[] =>
  device.api
    .cachedSpaces()
    .filter((s) => !s.private)
    .map((s) => s.id)

const parse = (text: string): Record<string, unknown> => {
  if (!text) return {}
  try {
    const value = JSON.parse(text)
    return value && typeof value === 'object' ? value : {}
  } catch {
    return {}
  }
}

const errorCode = (answer: SimAnswer): string => {
  const error = parse(answer.body).error as { code?: string } | undefined
  return error?.code ? ` ${error.code}` : ''
}
