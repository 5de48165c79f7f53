/**
 * Today's table shapes, for typed queries. Migrations never import this: they are frozen in
 * time and written against an untyped handle.
 */
export interface Database {
  users: UserTable
  clients: ClientTable
  streams: StreamTable
  bundles: BundleTable
  events: EventTable
  identities: IdentityTable
  spaces: SpaceTable
  members: MemberTable
  invites: InviteTable
  feeds: FeedCounterTable
  feed: FeedTable
  entities: EntityTable
  writers: WriterTable
  horizons: HorizonTable
}

export interface UserTable {
  id: string
  name: string
  /** SHA-256 of the bearer token, base64url; the token itself is never stored. */
  token_hash: string
  created_at: number | string
  revoked_at: number | string | null
}

/** A device of a user, registered at its first request. */
export interface ClientTable {
  id: string
  user_id: string
  created_at: number | string
}

/**
 * One sync stream and its position counter. Today every user has exactly one stream whose key
 * is the user id; the column stays distinct so shared streams can come later (DESIGN.md §7).
 */
export interface StreamTable {
  stream: string
  last_seq: number | string
}

export interface BundleTable {
  stream: string
  /** Position in the stream, assigned at commit under the stream's lock (never skips). */
  seq: number | string
  id: string
  client: string
  hlc: string
  /** The events array as JSON text, exactly as validated. */
  events: string
  event_count: number
  /** SHA-256 of the bundle's canonical content: a reused id with other content is a conflict. */
  hash: string
  received_at: number | string
  /** A part of a bigger transaction: `{group, index, count}` as JSON text; else null. */
  part: string | null
}

/** Every stored event id with its content hash, to refuse the same id with other content. */
export interface EventTable {
  stream: string
  id: string
  bundle_id: string
  hash: string
}

/** A user signed in by an app's identity provider: `(issuer, subject)` names one user. */
export interface IdentityTable {
  issuer: string
  subject: string
  user_id: string
  created_at: number | string
}

/** A shared space (DESIGN §8). A private space has no row: its id is its user's id. */
export interface SpaceTable {
  id: string
  name: string
  created_by: string
  created_at: number | string
}

/** A user's role in a shared space; null once removed (kept so the removal can be told). */
export interface MemberTable {
  space: string
  user_id: string
  role: string | null
  changed_at: number | string
}

export interface InviteTable {
  id: string
  space: string
  /** SHA-256 of the code, base64url; the code itself is shown once and never stored. */
  code_hash: string
  role: string
  expires_at: number | string | null
  max_uses: number | string | null
  uses: number | string
  created_by: string
  created_at: number | string
  revoked_at: number | string | null
}

/** A user's feed counter: positions are taken under this row's lock, so never skip. */
export interface FeedCounterTable {
  user_id: string
  last_pos: number | string
}

/** What happened in one of the user's shared spaces, at a feed position (see feed.ts). */
export interface FeedTable {
  user_id: string
  pos: number | string
  space: string
  kind: string
  from_seq: number | string
  to_seq: number | string
  role: string | null
  at: number | string
}

/** The space of an entity written in a shared space: no other space may write it. */
export interface EntityTable {
  id: string
  space: string
}

/** A user's named server-side writer: its client id and the last HLC it reserved. */
export interface WriterTable {
  user_id: string
  name: string
  client: string
  /** Empty before the first reservation. */
  last_hlc: string
  created_at: number | string
}

/** A compacted stream: superseded events with an HLC below `hlc` were dropped (compaction/). */
export interface HorizonTable {
  stream: string
  hlc: string
  compacted_at: number | string
  /** Events dropped by compaction so far, all runs together. */
  dropped: number | string
}
