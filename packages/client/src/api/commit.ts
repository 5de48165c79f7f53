/**
 * What the one local commit path (writes, undo, redo) derives from a transaction: the size a
 * pushed bundle may reach, and which entities it touched.
 */
import type { Limits } from '@tidings/protocol'
import type { BundleLimits } from '../store/parts.js'
import type { Op } from '../store/store.js'
import { ENVELOPE_BYTES } from '../sync/engine.js'

/** How big one pushed bundle may be (see `Store.commitLocal`). */
export const bundleLimitsOf = (limits: Limits): BundleLimits => ({
  maxEvents: limits.maxEventsPerBundle,
  maxBytes: limits.maxBodyBytes - ENVELOPE_BYTES,
  maxValueBytes: limits.maxValueBytes,
})

/** A local commit's writes, by type and entity (what lets live queries skip a re-run). */
export const touchedBy = (ops: readonly Op[]): Map<string, Map<string, Map<string, unknown>>> => {
  const byType = new Map<string, Map<string, Map<string, unknown>>>()
  for (const op of ops) {
    const entities = byType.get(op.type) ?? new Map<string, Map<string, unknown>>()
    byType.set(op.type, entities)
    const fields = entities.get(op.entity) ?? new Map<string, unknown>()
    entities.set(op.entity, fields)
    fields.set(op.attribute, op.value)
  }
  return byType
}
