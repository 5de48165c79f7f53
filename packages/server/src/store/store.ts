import type { BundlePart, PartedBundle } from '@tidings/protocol'
import type { Family } from './dialects/family.js'

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
  /** Leave out this client's bundles: a syncing client already has its own. */
  excludeClient?: string
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

/**
 * Everything the server keeps, behind one small interface so every backend passes one
 * conformance suite. Streams are keyed apart from users (today stream = user id).
 */
export interface Store {
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
  bundleIds(stream: string): Promise<string[]>
  /** The client's latest bundle in the stream (by position), or null when it has none there. */
  latestOf(stream: string, client: string): Promise<OwnLatest | null>
  /** How many bundles and events the stream holds (one pass over it; for progress and ETAs). */
  streamSize(stream: string): Promise<StreamSize>
  /** The stream's bundles among `ids`, in stream order; ids of other streams are absent. */
  getBundles(stream: string, ids: readonly string[]): Promise<PartedBundle[]>
  close(): Promise<void>
}
