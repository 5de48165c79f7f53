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
