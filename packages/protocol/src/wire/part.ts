import { z } from 'zod'
import type { Bundle } from './bundle.js'
import { uuid } from './fields.js'

/**
 * Marks a bundle as one part of a transaction too big for one bundle (more events than
 * `maxEventsPerBundle`, or more bytes than a request may carry). Every part of one local
 * transaction names the same `group`; a receiver holds parts aside until all `count` of them
 * are present and applies them as one transaction (DESIGN.md invariant 5).
 *
 * It travels beside the bundles, in an optional `parts` list of the message, never inside a
 * bundle: clients released before parts existed parse bundles strictly but ignore unknown
 * fields of answers, so they keep syncing (seeing the parts as separate transactions) instead
 * of refusing every page that holds one.
 */
const shape = {
  bundle: uuid,
  group: uuid,
  index: z.number().int().min(0),
  count: z.number().int().min(2),
}
const description = 'Marks `bundle` as part `index` of `count` of one transaction `group`'
const belowCount = (part: { index: number; count: number }) => part.index < part.count
const indexProblem = { message: 'index must be below count', path: ['index'] }

/** A part in a request: strict, like every request. */
export const partSchema = z
  .strictObject(shape)
  .refine(belowCount, indexProblem)
  .meta({ description })

/** A part in an answer: unknown fields dropped, so this client survives a newer server. */
export const storedPartSchema = z
  .object(shape)
  .refine(belowCount, indexProblem)
  .meta({ description })

export type BundlePart = z.infer<typeof partSchema>

/** A part as a bundle carries it inside the client and the server (not on the wire). */
export type Part = Omit<BundlePart, 'bundle'>

/** A bundle, with its part when it is one part of a bigger transaction. */
export type PartedBundle = Bundle & { part?: Part }

/** The `parts` list of a message for `bundles`: one entry per bundle that is a part. */
export const partsOf = (bundles: readonly PartedBundle[]): BundlePart[] => {
  const parts: BundlePart[] = []
  for (const b of bundles) if (b.part) parts.push({ bundle: b.id, ...b.part })
  return parts
}

/** A bundle as the wire carries it: without its part (which travels in `parts`). */
export const wholeBundle = (bundle: PartedBundle): Bundle => {
  if (!bundle.part) return bundle
  const { part: _, ...rest } = bundle
  return rest
}

/**
 * The bundles of a message with their parts attached (as `part`), read from its `parts` list.
 * A part naming no bundle of the message is ignored: a part alone means nothing.
 */
export const withParts = <B extends Bundle>(
  bundles: readonly B[],
  parts: readonly BundlePart[] | undefined,
): Array<B & { part?: Part }> => {
  if (!parts || parts.length === 0) return bundles as B[]
  const byBundle = new Map(parts.map((p) => [p.bundle, p]))
  return bundles.map((b) => {
    const p = byBundle.get(b.id)
    return p ? { ...b, part: { group: p.group, index: p.index, count: p.count } } : b
  })
}
