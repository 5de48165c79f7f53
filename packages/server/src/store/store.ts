import type { BundlePart, Invite, Member, PartedBundle, Role, Space } from '@tidings/protocol'
import type { CompactOptions, CompactResult } from './compaction/compact.js'
import type { Family } from './dialects/family.js'
import type { FeedPage, FeedPullOptions } from './feed-pull.js'
import type { UserDeletion } from './users/delete-user.js'
import type { Reservation, WriterState } from './writers/writers.js'

/** A user as listed; the token hash never leaves the store except for authentication. */
export interface UserInfo {
  id: string
  name: string
  createdAt: number
  revokedAt: number | null
  /** Set for a user an identity provider's JWTs name (created on first sight). */
  identity?: { issuer: string; subject: string }
}

export interface UserAuthRow extends UserInfo {
  tokenHash: string
}

/** An identity provider's user, and what to create for it if it is new. */
export interface NewIdentity {
  issuer: string
  subject: string
  /** Used only when the identity is new. */
  id: string
  /** Used only when the identity is new; unique among users. */
  name: string
  now: number
}

export interface PushResult {
  /** Ids of the request's bundles the stream now holds: new and already stored alike. */
  accepted: string[]
  /** How many bundles this push added. */
  added: number
  /** The stream position after the push. */
  head: number
  /** Shared spaces that gained bundles (their members' live streams are poked). */
  shared?: SharedPushed[]
}

/** A shared space a push added bundles to. */
export interface SharedPushed {
  space: string
  /** The space's position after the push. */
  head: number
  added: number
  /** Its members at the push, each of whom got a feed entry. */
  members: string[]
}

export interface PushInput {
  stream: string
  /** A bundle with a `part` is one part of a bigger transaction, and is stored as such. */
  bundles: readonly PartedBundle[]
  /** Epoch ms, stored as the bundles' arrival time. */
  now: number
  /**
   * When set, the store first confirms that this user still holds this token, unrevoked, and
   * throws `unauthorized` (storing nothing) when not. On Postgres the check rides in the push's
   * own round trip, so a server that remembers who a token names skips a lookup per request
   * and still never serves a revoked token.
   */
  holder?: TokenHolder
}

/** A bearer token (by its hash) and the user it named when it was last looked up. */
export interface TokenHolder {
  userId: string
  /**
   * The server token's hash; null for a user signed in by its identity provider (a JWT the
   * server has just verified), for whom only "still not revoked" is confirmed.
   */
  tokenHash: string | null
}

/** A cursor's claim that the bundle at `seq` carries `mark` (see `http/cursor.ts`). */
export interface CursorCheck {
  seq: number
  mark: string
}

/** The stream's head when a page was read, and the mark of the bundle there. */
export interface HeadMark {
  seq: number
  mark: string
}

export interface Page {
  /** The page's bundles; a part of a bigger transaction carries its `part`. */
  bundles: PartedBundle[]
  /** Position to pull after next time. */
  cursor: number
  more: boolean
  /** With `PullOptions.marked`: the head the page was read at; null for an empty stream. */
  head?: HeadMark | null
  /**
   * The cursor's check failed (the database was restored, or the cursor came from elsewhere):
   * this page is read from the beginning of the stream instead.
   */
  reset?: boolean
  /**
   * `bundles` as JSON text, built from the stored text of each bundle's events (when the store
   * has it): a route can answer with it and never parse and serialise the events again.
   */
  readonly bundlesJson?: string
  /**
   * The page's bundles that are parts of a bigger transaction (answered beside `bundles`, so
   * that clients that predate parts still read every page). Absent: none is.
   */
  readonly parts?: BundlePart[]
  /** How many events the page's bundles hold (absent: count them). */
  readonly events?: number
}

export interface StreamSize {
  bundles: number
  events: number
}

export interface PullOptions {
  stream: string
  after: number
  limit: number
  /** Stop adding bundles once a page holds about this many events (at least one bundle). */
  maxEvents: number
  /**
   * Leave out these bundles: the ones a sync request carried, which its client holds. Never a
   * client's whole history: a device whose database rolled back lacks some of its own bundles,
   * and they can land after it resumed (pushed back by a sibling that kept a copy, or by a
   * request of its own that arrived late); only its pulls can bring them (invariant 7).
   */
  exclude?: readonly string[]
  /** Confirm the cursor still names what its client saw; read from the beginning when not. */
  check?: CursorCheck
  /** Read the head's mark too (`Page.head`), for a marked cursor in the answer. */
  marked?: boolean
}

/** A client's latest bundle in a stream, as a device that may have rolled back asks for it. */
export interface OwnLatest {
  bundle: string
  hlc: string
}

/** An invite to create: the code's hash only (the code is shown once, never stored). */
export interface NewInvite {
  id: string
  space: string
  caller: string
  codeHash: string
  role: Role
  /** Epoch ms; absent: never expires. */
  expiresAt?: number
  /** Absent: unlimited. */
  maxUses?: number
  now: number
}

/** A shared space as an operator lists it (`tidings space list`). */
export interface SpaceInfo {
  id: string
  name: string
  createdAt: number
  members: number
  owners: string[]
}

/**
 * Spaces, members and invites (DESIGN §8). Every change takes the space's lock (its stream
 * counter row) in its own transaction, as pushes do, and appends to the affected user's feed
 * (`feed.ts`): joins, role changes and removals travel with the data. `caller` is the acting
 * user; a caller who may not do it gets `forbidden`, a space it is not in `not_found`... unless
 * it is a member (`forbidden`: readers and writers managing members).
 */
export interface SpaceStore {
  /** Creates a shared space with `owner` as its owner. */
  createSpace(input: { id: string; name: string; owner: string; now: number }): Promise<Space>
  /** The user's spaces: the private one first (`private: true`, id = user id), then by name. */
  listSpaces(user: string): Promise<Space[]>
  /** The user's role in a space now (owner for its own private space); null when not a member. */
  roleOf(space: string, user: string): Promise<Role | null>
  /** Members only; throws `not_found` for a non-member. */
  listMembers(space: string, caller: string): Promise<Member[]>
  /** Owner only; existing members only (`not_found`); the last owner stays (`last_owner`). */
  setRole(input: {
    space: string
    caller: string
    user: string
    role: Role
    now: number
  }): Promise<Member>
  /** Owner, or the member itself; the last owner stays (`last_owner`). */
  removeMember(input: { space: string; caller: string; user: string; now: number }): Promise<void>
  createInvite(input: NewInvite): Promise<Invite>
  /** Owner only: the space's unrevoked invites. */
  listInvites(space: string, caller: string): Promise<Invite[]>
  /** Owner only; `not_found` when no such invite. */
  revokeInvite(input: { space: string; caller: string; invite: string; now: number }): Promise<void>
  /**
   * One conditional update (uses < maxUses, not expired, not revoked) in the membership's
   * transaction: `not_found` for an unknown code, `gone` when expired or used up. A member
   * accepting keeps the higher role and uses nothing.
   */
  acceptInvite(input: { codeHash: string; user: string; now: number }): Promise<Space>
  /** Operators: every shared space. */
  listAllSpaces(): Promise<SpaceInfo[]>
}

/**
 * Everything the server keeps, behind one small interface so every backend passes one
 * conformance suite. Streams are keyed apart from users (today stream = user id).
 */
export interface Store extends SpaceStore {
  readonly family: Family
  readonly description: string
  /** Throws `conflict` when the name is taken. */
  createUser(user: { id: string; name: string; tokenHash: string; now: number }): Promise<void>
  /** Sets a user's token (creating the user if absent), clearing any revocation. */
  ensureUser(user: { id: string; name: string; tokenHash: string; now: number }): Promise<void>
  findUserByTokenHash(tokenHash: string): Promise<UserAuthRow | null>
  /**
   * The user an identity provider's `(issuer, subject)` names, created with its stream on first
   * sight (as `createUser` does, with `name`, `id` and no token). Racing first sights make one user.
   */
  userOfIdentity(identity: NewIdentity): Promise<UserInfo>
  listUsers(): Promise<UserInfo[]>
  /** False when no such user exists. */
  revokeUser(name: string, now: number): Promise<boolean>
  /**
   * Deletes a user (by name or id) with everything only it holds, in one transaction; with
   * `apply: false`, answers what that would delete and deletes nothing. See `users/delete-user.ts`:
   * `not_found`, or `last_owner` while it alone owns a space others use.
   */
  deleteUser(input: { user: string; apply: boolean }): Promise<UserDeletion>
  /**
   * Which of these token hashes still authenticate (held by a user, unrevoked): open live
   * streams are checked with it, in one batch per node, so a revocation ends them.
   */
  heldTokens(tokenHashes: readonly string[]): Promise<Set<string>>
  /** Registers unknown client ids to `userId`; answers the owner of every id asked. */
  registerClients(
    userId: string,
    clientIds: readonly string[],
    now: number,
  ): Promise<Map<string, string>>
  /**
   * Stores the new bundles of one request atomically, each at its own stream position.
   * Throws `conflict` when a bundle id or event id is already held with other content.
   */
  push(input: PushInput): Promise<PushResult>
  pull(options: PullOptions): Promise<Page>
  /**
   * `push` then `pull`, as `POST /v1/sync` needs them: the page is read after the push
   * committed, as a separate `pull` would, or not at all when it is known to be empty (the
   * cursor was the stream's head and the push carried only the caller's own bundles).
   */
  sync(push: PushInput, pull: PullOptions): Promise<{ pushed: PushResult; page: Page }>
  /**
   * Protocol 3: the bundles and membership changes of the user's shared spaces after a feed
   * position (see `feed-pull.ts`).
   */
  pullFeed(options: FeedPullOptions): Promise<FeedPage>
  /** Whether the user may read the space now (a member, or its own private space). */
  mayRead(user: string, space: string): Promise<boolean>
  /** The bundles among `ids` of spaces the user is in now; shared ones carry their `space`. */
  readableBundles(user: string, ids: readonly string[]): Promise<PartedBundle[]>
  bundleIds(stream: string): Promise<string[]>
  /** The client's latest bundle in the stream (by position), or null when it has none there. */
  latestOf(stream: string, client: string): Promise<OwnLatest | null>
  /** How many bundles and events the stream holds (one pass over it; for progress and ETAs). */
  streamSize(stream: string): Promise<StreamSize>
  /** The stream's bundles among `ids`, in stream order; ids of other streams are absent. */
  getBundles(stream: string, ids: readonly string[]): Promise<PartedBundle[]>
  /**
   * A user's (name or id) server-side writer `name`, created with `client` on first use, else
   * as stored (see `writers/writers.ts`).
   */
  claimWriter(input: {
    user: string
    name: string
    client: string
    now: number
  }): Promise<WriterState>
  /** Compare-and-set of a writer's last HLC: whether it took, and the last HLC afterwards. */
  advanceWriter(input: {
    user: string
    name: string
    from: string | null
    to: string
  }): Promise<Reservation>
  /**
   * Drops the superseded events below a horizon, in one space or every stream, keeping each
   * register's winner and every tombstone (see `compaction/`): batch by batch, with progress.
   */
  compact(options: CompactOptions): Promise<CompactResult>
  /** The compaction horizons of these streams (space ids; a user id for its private space). */
  horizons(streams: readonly string[]): Promise<Map<string, string>>
  close(): Promise<void>
}
