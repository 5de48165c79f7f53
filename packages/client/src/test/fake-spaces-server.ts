import {
  type Bundle,
  canWrite,
  formatHlc,
  type Invite,
  newId,
  ROUTES,
  type Role,
  type Space,
  type SpaceChange,
  SYNC_PROTOCOL,
  TidingsError,
} from '@tidings/protocol'

/**
 * A FAKE Tidings server, in memory and in process, speaking the shared-spaces protocol as
 * DESIGN §8 and `packages/protocol` write it (protocol 3): `POST /v1/sync` with bundles tagged
 * by `space`, membership changes in the answer (`spaces`, before the page's bundles), refusals by
 * space (403 `forbidden`, `details: {bundles, spaces}`), and the `/v1/spaces…` routes. It is a
 * `fetch` function: clients get it as `server.fetch`, no port is opened.
 *
 * It exists because the real server's spaces are being built beside this client; it is NOT the
 * server and skips what the client does not need to be tested against (marked cursors, parts,
 * limits, hashing invite codes). Tests run over `BACKENDS` (spaces.test.ts), so
 * the real server joins as a second backend once it speaks protocol 3.
 */

interface User {
  id: string
  name: string
}

interface StoredSpace {
  id: string
  name: string
  private: boolean
  members: Map<string, Role>
  bundles: Bundle[]
}

/** One entry of a user's feed: what their devices pull, in order. */
type FeedEntry =
  | { kind: 'change'; change: SpaceChange }
  | { kind: 'bundle'; bundle: Bundle; space: string; replay: boolean }

interface StoredInvite extends Invite {
  space: string
  code: string
}

/** What tests tune on the fake. */
export interface FakeServerOptions {
  /** Bundles per answer page (small values exercise paging). */
  pageSize?: number
  /** Tag private bundles with the private space's id (a server may); default: untagged. */
  tagPrivate?: boolean
  now?: () => number
}

export const FAKE_URL = 'http://fake.tidings.test'
const SERVER_NODE = '00000000-0000-7000-8000-000000000001'

/** Thrown inside the fake to answer a refusal. */
const refuse = (
  code: ConstructorParameters<typeof TidingsError>[0],
  message: string,
  details?: unknown,
) => new TidingsError(code, message, details === undefined ? undefined : { details })

export class FakeSpacesServer {
  readonly url = FAKE_URL
  private readonly users = new Map<string, User>()
  private readonly tokens = new Map<string, string>()
  private readonly clients = new Map<string, string>()
  private readonly spaces = new Map<string, StoredSpace>()
  private readonly bundles = new Map<string, { text: string; space: string }>()
  private readonly entitySpace = new Map<string, string>()
  private readonly feeds = new Map<string, FeedEntry[]>()
  private readonly invites = new Map<string, StoredInvite>()
  private readonly pageSize: number
  private readonly tagPrivate: boolean
  private readonly now: () => number
  /** Every request's route, for tests that check what went over the wire. */
  readonly requests: Array<{ method: string; path: string; body: unknown }> = []

  constructor(options: FakeServerOptions = {}) {
    this.pageSize = options.pageSize ?? 100
    this.tagPrivate = options.tagPrivate ?? false
    this.now = options.now ?? Date.now
  }

  /** Creates a user (and its private space, whose id is the user's id); returns its token. */
  async addUser(name: string): Promise<{ id: string; token: string }> {
    const id = newId()
    const token = `fake-${newId()}`
    this.users.set(id, { id, name })
    this.tokens.set(token, id)
    this.feeds.set(id, [])
    this.spaces.set(id, { id, name, private: true, members: new Map([[id, 'owner']]), bundles: [] })
    return { id, token }
  }

  /** The fetch clients use. */
  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input))
    const method = init?.method ?? 'GET'
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined
    this.requests.push({ method, path: url.pathname, body })
    try {
      const auth = new Headers(init?.headers).get('authorization') ?? ''
      const user = this.tokens.get(auth.replace(/^Bearer /, ''))
      if (!user) throw refuse('unauthorized', 'bad token')
      const answer = this.route(method, url, user, body as Record<string, unknown>)
      return json(200, answer ?? {})
    } catch (error) {
      if (error instanceof TidingsError) return json(error.status, error.toBody())
      throw error
    }
  }) as typeof fetch

  /** A test's view: the entities written into each space this user is in now, by space. */
  entitiesOf(user: string): Map<string, string> {
    const out = new Map<string, string>()
    for (const space of this.spaces.values())
      if (space.members.has(user))
        for (const bundle of space.bundles)
          for (const e of bundle.events) out.set(e.entity, space.id)
    return out
  }

  /** A test's view: the members of a space as the fake holds them. */
  roleOf(space: string, user: string): Role | undefined {
    return this.spaces.get(space)?.members.get(user)
  }

  private route(method: string, url: URL, user: string, body: Record<string, unknown>): unknown {
    const path = url.pathname
    const parts = path.split('/').filter(Boolean).slice(1) // drop "v1"
    const key = `${method} ${parts.map((p, i) => (i % 2 === 1 && parts[0] === 'spaces' ? ':' : p)).join('/')}`
    const space = parts[1] ?? ''
    switch (key) {
      case `POST ${ROUTES.sync.slice(4)}`:
        return this.sync(user, body)
      case 'POST spaces':
        return { space: this.createSpace(user, String(body.name)) }
      case 'GET spaces':
        return { spaces: this.listSpaces(user) }
      case 'GET spaces/:/members':
        return { members: this.members(space, user) }
      case 'PUT spaces/:/members/:':
        return { member: this.setRole(space, user, parts[3]!, body.role as Role) }
      case 'DELETE spaces/:/members/:':
        return this.remove(space, user, parts[3]!)
      case 'POST spaces/:/invites':
        return this.invite(space, user, body)
      case 'GET spaces/:/invites':
        this.owner(space, user)
        return {
          invites: [...this.invites.values()].filter((i) => i.space === space).map(publicInvite),
        }
      case 'DELETE spaces/:/invites/:':
        this.owner(space, user)
        this.invites.delete(parts[3]!)
        return {}
      case 'GET bundle-ids': {
        const found = this.member(url.searchParams.get('space') ?? user, user)
        return { ids: found.bundles.map((b) => b.id) }
      }
      case 'POST bundles/get': {
        const ids = new Set(body.ids as string[])
        const bundles = [...this.spaces.values()]
          .filter((sp) => sp.members.has(user))
          .flatMap((sp) => sp.bundles.filter((b) => ids.has(b.id)))
        return { bundles }
      }
      case 'POST invites/accept':
        return { space: this.accept(user, String(body.code)) }
      default:
        throw refuse('not_found', `no route ${method} ${path}`)
    }
  }

  private createSpace(user: string, name: string): Space {
    const id = newId()
    this.spaces.set(id, { id, name, private: false, members: new Map(), bundles: [] })
    this.join(id, user, 'owner')
    return { id, name, role: 'owner' }
  }

  private listSpaces(user: string): Space[] {
    const out: Space[] = []
    for (const s of this.spaces.values()) {
      const role = s.members.get(user)
      if (role)
        out.push({ id: s.id, name: s.name, role, ...(s.private && { private: true as const }) })
    }
    return out
  }

  private member(space: string, user: string): StoredSpace {
    const found = this.spaces.get(space)
    if (!found?.members.has(user)) throw refuse('not_found', `no space ${space} of yours`)
    return found
  }

  private owner(space: string, user: string): StoredSpace {
    const found = this.member(space, user)
    if (found.members.get(user) !== 'owner') throw refuse('forbidden', 'owners only')
    if (found.private) throw refuse('forbidden', 'the private space cannot be shared')
    return found
  }

  private members(space: string, user: string) {
    const found = this.member(space, user)
    return [...found.members].map(([id, role]) => ({
      user: id,
      name: this.users.get(id)!.name,
      role,
    }))
  }

  private setRole(space: string, caller: string, user: string, role: Role) {
    const found = this.owner(space, caller)
    const before = found.members.get(user)
    if (!before) throw refuse('not_found', `${user} is not a member`)
    if (before === 'owner' && role !== 'owner') this.notLastOwner(found)
    found.members.set(user, role)
    this.feedOf(user).push({ kind: 'change', change: { id: space, name: found.name, role } })
    return { user, name: this.users.get(user)!.name, role }
  }

  private remove(space: string, caller: string, user: string): unknown {
    const found = caller === user ? this.member(space, caller) : this.owner(space, caller)
    if (found.private) throw refuse('forbidden', 'the private space cannot be left')
    const role = found.members.get(user)
    if (!role) throw refuse('not_found', `${user} is not a member`)
    if (role === 'owner') this.notLastOwner(found)
    found.members.delete(user)
    this.feedOf(user).push({ kind: 'change', change: { id: space, name: found.name, role: null } })
    return {}
  }

  private notLastOwner(space: StoredSpace): void {
    if ([...space.members.values()].filter((r) => r === 'owner').length < 2)
      throw refuse('last_owner', 'the last owner cannot leave, be removed or step down')
  }

  private invite(space: string, user: string, body: Record<string, unknown>) {
    this.owner(space, user)
    const bytes = crypto.getRandomValues(new Uint8Array(16))
    const code = btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    const invite: StoredInvite = {
      id: newId(),
      space,
      code,
      role: body.role as Role,
      uses: 0,
      createdAt: this.now(),
      ...(typeof body.expiresInSeconds === 'number' && {
        expiresAt: this.now() + body.expiresInSeconds * 1000,
      }),
      ...(typeof body.maxUses === 'number' && { maxUses: body.maxUses }),
    }
    this.invites.set(invite.id, invite)
    return { code, invite: publicInvite(invite) }
  }

  private accept(user: string, code: string): Space {
    const invite = [...this.invites.values()].find((i) => i.code === code)
    if (!invite) throw refuse('not_found', 'unknown invite code')
    const space = this.spaces.get(invite.space)!
    const role = space.members.get(user)
    if (role) return { id: space.id, name: space.name, role }
    if (invite.expiresAt !== undefined && invite.expiresAt <= this.now())
      throw refuse('gone', 'the invite expired')
    if (invite.maxUses !== undefined && invite.uses >= invite.maxUses)
      throw refuse('gone', 'the invite is used up')
    invite.uses += 1
    this.join(space.id, user, invite.role)
    return { id: space.id, name: space.name, role: invite.role }
  }

  /** Makes `user` a member: the change, then the space's whole history, own bundles included. */
  private join(space: string, user: string, role: Role): void {
    const found = this.spaces.get(space)!
    found.members.set(user, role)
    const feed = this.feedOf(user)
    feed.push({ kind: 'change', change: { id: space, name: found.name, role } })
    for (const bundle of found.bundles) feed.push({ kind: 'bundle', bundle, space, replay: true })
  }

  private feedOf(user: string): FeedEntry[] {
    return this.feeds.get(user)!
  }

  private sync(user: string, body: Record<string, unknown>) {
    const client = String(body.client)
    const owner = this.clients.get(client)
    if (owner !== undefined && owner !== user) throw refuse('forbidden', 'another user’s client')
    this.clients.set(client, user)
    const pushed = (body.bundles as Bundle[]) ?? []
    const accepted: string[] = []
    const fresh: Array<{ bundle: Bundle; space: string }> = []
    const refused = new Set<string>()
    const refusedSpaces = new Map<string, Role | null>()
    const claimed = new Map<string, string>()
    for (const bundle of pushed) {
      const space = bundle.space ?? user
      const text = canonical(bundle, space)
      const stored = this.bundles.get(bundle.id)
      if (stored) {
        if (stored.text !== text) throw refuse('conflict', 'bundle id taken', { bundle: bundle.id })
        accepted.push(bundle.id)
        continue
      }
      const role = this.spaces.get(space)?.members.get(user) ?? null
      const entityElsewhere = bundle.events.find(
        (e) => (this.entitySpace.get(e.entity) ?? claimed.get(e.entity) ?? space) !== space,
      )
      if (!canWrite(role) || entityElsewhere) {
        refused.add(bundle.id)
        refusedSpaces.set(space, role)
        continue
      }
      for (const e of bundle.events) claimed.set(e.entity, space)
      fresh.push({ bundle, space })
      accepted.push(bundle.id)
    }
    if (refused.size > 0)
      throw refuse('forbidden', 'bundles of spaces you may not write', {
        bundles: [...refused],
        spaces: [...refusedSpaces].map(([id, role]) => ({ id, role })),
      })
    for (const { bundle, space } of fresh) {
      const stored: Bundle = { ...bundle }
      delete stored.space
      if (space !== user || this.tagPrivate) stored.space = space
      this.bundles.set(bundle.id, { text: canonical(bundle, space), space })
      for (const e of bundle.events) this.entitySpace.set(e.entity, space)
      const target = this.spaces.get(space)!
      target.bundles.push(stored)
      for (const member of target.members.keys())
        this.feedOf(member).push({ kind: 'bundle', bundle: stored, space, replay: false })
    }
    return {
      hlc: formatHlc({ ms: this.now(), counter: 0, node: SERVER_NODE }),
      accepted,
      ...this.page(user, new Set(pushed.map((b) => b.id)), body),
    }
  }

  /**
   * The page after the cursor: membership changes first, bundles after them. Like the real
   * server it leaves out only the bundles this request carried (the device has them), never
   * the device's whole history: a device that lost its copy must get its own bundles back.
   */
  private page(user: string, carried: ReadonlySet<string>, body: Record<string, unknown>) {
    const shared = Number(body.protocol ?? 1) >= SYNC_PROTOCOL
    const feed = this.feedOf(user)
    const parsed = Number(body.cursor ?? 0)
    let at = Number.isInteger(parsed) && parsed >= 0 && parsed <= feed.length ? parsed : 0
    const bundles: Bundle[] = []
    const spaces: SpaceChange[] = []
    while (at < feed.length && bundles.length < this.pageSize) {
      const entry = feed[at]!
      if (entry.kind === 'change') {
        if (bundles.length > 0) break
        if (shared) spaces.push(entry.change)
      } else if (shared || entry.space === user) {
        if (entry.replay || !carried.has(entry.bundle.id)) bundles.push(entry.bundle)
      }
      at += 1
    }
    return {
      cursor: String(at),
      bundles,
      more: at < feed.length,
      own: null,
      ...(spaces.length > 0 && { spaces }),
    }
  }
}

const publicInvite = ({ space: _, code: __, ...invite }: StoredInvite): Invite => invite

/** A bundle's content as compared for idempotence: its space is part of it (absent = private). */
const canonical = (bundle: Bundle, space: string): string =>
  JSON.stringify([
    bundle.id,
    bundle.client,
    bundle.hlc,
    space,
    bundle.events.map((e) => [e.id, e.type, e.entity, e.attribute, e.value, e.hlc, e.client]),
  ])

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
