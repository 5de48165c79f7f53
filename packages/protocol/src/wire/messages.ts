import { z } from 'zod'
import { DEFAULT_LIMITS, type Limits } from '../limits.js'
import { bundleSchema } from './bundle.js'
import { cursor, hlc, uuid } from './fields.js'
import { partSchema, storedPartSchema } from './part.js'
import { spaceChangeSchema } from './spaces.js'

/** A space's compaction horizon; `space` absent: the caller's private space. */
const horizonSchema = z.object({ space: uuid.optional(), hlc })

const protocolVersion = z.number().int().min(1).max(1_000)

const reset = z.literal(true).meta({
  description:
    'The cursor no longer names what the client saw (the server was restored from a backup): this page starts from the beginning; re-pull, and push again what the server lacks',
})

/** Request and answer schemas of every route in DESIGN.md §6, built for given limits. */
export const messageSchemas = (limits: Limits = DEFAULT_LIMITS) => {
  const bundle = bundleSchema(limits)
  // Answers are read leniently (unknown fields dropped) so old clients survive new servers.
  // Bundles in answers too: a newer server may tag them (or their events) with fields this
  // client does not know; they are dropped, never a reason to refuse the page.
  const storedBundle = bundleSchema(
    { maxValueBytes: Number.MAX_SAFE_INTEGER, maxEventsPerBundle: Number.MAX_SAFE_INTEGER },
    'strip',
  )
  const storedParts = z.array(storedPartSchema).optional()
  return {
    bundle,
    syncRequest: z
      .strictObject({
        protocol: protocolVersion.optional(),
        client: uuid,
        hlc,
        cursor: cursor.nullable(),
        bundles: z.array(bundle).max(limits.maxBundlesPerRequest),
        parts: z.array(partSchema).max(limits.maxBundlesPerRequest).optional(),
        schema: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().meta({
          description:
            "The app's schema version (`defineSchema(…, { version })`); a server with a minimum refuses older or absent ones (`schema_too_old`)",
        }),
        resume: z
          .literal(true)
          .optional()
          .meta({ description: 'First sync since the device opened its database: answer `own`' }),
      })
      .superRefine((request, ctx) => {
        const ids = new Set(request.bundles.map((b) => b.id))
        const marked = new Set<string>()
        request.parts?.forEach((part, i) => {
          if (!ids.has(part.bundle) || marked.has(part.bundle))
            ctx.addIssue({
              code: 'custom',
              path: ['parts', i, 'bundle'],
              message: 'a part must name a bundle of the request, once',
            })
          marked.add(part.bundle)
        })
      }),
    syncResponse: z.object({
      hlc,
      cursor,
      accepted: z.array(uuid),
      bundles: z.array(storedBundle),
      parts: storedParts,
      more: z.boolean(),
      reset: reset.optional(),
      own: z
        .object({ bundle: uuid, hlc })
        .nullable()
        .optional()
        .meta({ description: "With `resume`: the caller client's latest bundle on the server" }),
      spaces: z.array(spaceChangeSchema).optional().meta({
        description:
          "Protocol 3: the caller's membership changes, in order; apply them before the page's bundles (a space removed here has no bundles in this page)",
      }),
      horizons: z.array(horizonSchema).optional().meta({
        description:
          "The compaction horizons of the spaces this page carries bundles of (absent `space`: the private one): below its HLC a space keeps only each attribute's winner and the tombstones",
      }),
    }),
    pullQuery: z.strictObject({
      after: cursor.optional(),
      limit: z.coerce.number().int().min(1).max(limits.maxPageBundles).optional(),
    }),
    pullResponse: z.object({
      bundles: z.array(storedBundle),
      parts: storedParts,
      cursor,
      more: z.boolean(),
      reset: reset.optional(),
      horizons: z.array(horizonSchema).optional().meta({
        description:
          "The private space's compaction horizon (no `space`), when this page carries compacted history",
      }),
    }),
    bundleIdsResponse: z.object({ ids: z.array(uuid) }),
    getBundlesRequest: z.strictObject({ ids: z.array(uuid).max(limits.maxIdsPerRequest) }),
    getBundlesResponse: z.object({ bundles: z.array(storedBundle), parts: storedParts }),
    poke: z.object({ cursor }),
    health: z.object({ ok: z.literal(true), version: z.string(), time: z.string() }),
    error: z.object({
      error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
    }),
  }
}

export type MessageSchemas = ReturnType<typeof messageSchemas>
type Infer<K extends keyof MessageSchemas> = z.infer<MessageSchemas[K]>

export type SyncRequest = Infer<'syncRequest'>
export type SyncResponse = Infer<'syncResponse'>
export type PullQuery = Infer<'pullQuery'>
export type PullResponse = Infer<'pullResponse'>
export type BundleIdsResponse = Infer<'bundleIdsResponse'>
export type GetBundlesRequest = Infer<'getBundlesRequest'>
export type GetBundlesResponse = Infer<'getBundlesResponse'>
export type Poke = Infer<'poke'>
export type Health = Infer<'health'>
