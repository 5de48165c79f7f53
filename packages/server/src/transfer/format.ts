import {
  type Limits,
  messageSchemas,
  type PartedBundle,
  parseWire,
  partSchema,
  partsOf,
  TidingsError,
  wholeBundle,
  withParts,
} from '@tidings/protocol'
import { z } from 'zod'

/**
 * The export file: NDJSON, one JSON object per line.
 *
 *   {"tidings":"export","version":2,"bundles":N,"events":M}   first: counts when it began
 *   {"tidings":"user","name":"alice","createdAt":T,"revokedAt":null}   every user, bundles or not
 *   {"user":"alice","bundle":{…wire bundle…}}                  each user's bundles in stream order
 *   {"user":"alice","bundle":{…},"part":{…wire part…}}          (a part of a bigger transaction)
 *   {"tidings":"end","bundles":N,"events":M}                   last: what was actually written
 *
 * The end line lets an import tell a finished export from one cut short (a failed
 * `tidings export | tidings import` still ends its input cleanly). Tokens are never exported;
 * a user's revocation is (`revokedAt`), so an import never brings back a revoked account.
 *
 * Version 2 added the user lines (version 1 carried only users with bundles, and no
 * revocations); imports read both.
 */
export const FORMAT_VERSION = 2
const READABLE_VERSIONS = [1, 2] as const

export interface ExportHeader {
  tidings: 'export'
  version: (typeof READABLE_VERSIONS)[number]
  bundles: number
  events: number
}

export interface ExportEnd {
  tidings: 'end'
  bundles: number
  events: number
}

/** A user as exported: who it is and whether it is revoked (epoch ms), never its token. */
export interface UserLine {
  name: string
  createdAt: number
  revokedAt: number | null
  /** A user an identity provider's JWTs name: imported as that identity's user. */
  identity?: { issuer: string; subject: string }
}

export interface BundleLine {
  user: string
  /** With its `part` when it is one part of a bigger transaction. */
  bundle: PartedBundle
}

export type ExportLine =
  | ({ kind: 'header' } & ExportHeader)
  | ({ kind: 'end' } & ExportEnd)
  | ({ kind: 'user' } & UserLine)
  | ({ kind: 'bundle' } & BundleLine)

const count = z.number().int().min(0)
/** CLI names are short; an identity's user is `ISSUER#SUBJECT` (see `jwt-users.ts`). */
const userName = z.string().min(1).max(2_100)

/** The line schemas, with the bundle validated exactly as `POST /v1/sync` validates it. */
export const lineSchemas = (limits: Limits) => ({
  header: z.strictObject({
    tidings: z.literal('export'),
    version: z.union([z.literal(READABLE_VERSIONS[0]), z.literal(READABLE_VERSIONS[1])]),
    bundles: count,
    events: count,
  }),
  end: z.strictObject({ tidings: z.literal('end'), bundles: count, events: count }),
  user: z.strictObject({
    tidings: z.literal('user'),
    name: userName,
    createdAt: count,
    revokedAt: count.nullable(),
    identity: z
      .strictObject({ issuer: z.string().min(1).max(1_000), subject: z.string().min(1).max(1_000) })
      .optional(),
  }),
  bundle: z.strictObject({
    user: userName,
    bundle: messageSchemas(limits).bundle,
    part: partSchema.optional(),
  }),
})

export type LineSchemas = ReturnType<typeof lineSchemas>

/** Parses one line; throws the protocol's `TidingsError` (`bad_request`, `too_large`). */
export const parseLine = (text: string, schemas: LineSchemas): ExportLine => {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new TidingsError('bad_request', `not JSON: ${(err as Error).message}`)
  }
  const tag = (data as { tidings?: unknown } | null)?.tidings
  if (tag === 'export')
    return { kind: 'header', ...parseWire(schemas.header, data, 'export header') }
  if (tag === 'end') return { kind: 'end', ...parseWire(schemas.end, data, 'export end line') }
  if (tag === 'user') {
    const { tidings: _, identity, ...user } = parseWire(schemas.user, data, 'user line')
    return { kind: 'user', ...user, ...(identity && { identity }) }
  }
  const line = parseWire(schemas.bundle, data, 'bundle line')
  const [bundle] = withParts([line.bundle], line.part && [line.part])
  return { kind: 'bundle', user: line.user, bundle: bundle ?? line.bundle }
}

export const headerLine = (header: Omit<ExportHeader, 'tidings' | 'version'>): string =>
  `${JSON.stringify({ tidings: 'export', version: FORMAT_VERSION, ...header })}\n`

export const endLine = (end: Omit<ExportEnd, 'tidings'>): string =>
  `${JSON.stringify({ tidings: 'end', ...end })}\n`

export const userLine = (user: UserLine): string =>
  `${JSON.stringify({
    tidings: 'user',
    name: user.name,
    createdAt: user.createdAt,
    revokedAt: user.revokedAt,
    ...(user.identity && { identity: user.identity }),
  })}\n`

export const bundleLine = (line: BundleLine): string => {
  const [part] = partsOf([line.bundle])
  const bundle = wholeBundle(line.bundle)
  return `${JSON.stringify(part ? { user: line.user, bundle, part } : { user: line.user, bundle })}\n`
}
