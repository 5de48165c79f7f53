import type { Family } from '../store/dialects/family.js'
import type { Projector } from './projector.js'
import { type AnyDb, run } from './sql.js'
import { typedTable } from './typed-tables.js'

/** Progress of a rebuild, per step: the space, its bundles done so far, and of how many. */
export interface RebuildProgress {
  space: string
  spaceIndex: number
  spaces: number
  bundles: number
  of: number
}

/**
 * Forgets the read model of `space` (absent: every space) and projects it again from the log,
 * with the same code as the incremental projection, so a rebuild shows what incremental
 * projection showed. Run it with no server projecting the same spaces, or accept that they
 * project concurrently (harmless: registers only move forward).
 */
export const rebuildReadModel = async (input: {
  db: AnyDb
  family: Family
  projector: Projector
  space?: string
  onProgress?: (progress: RebuildProgress) => void
}): Promise<{ spaces: number; bundles: number }> => {
  const { db, family, projector } = input
  const spaces =
    input.space !== undefined
      ? [input.space]
      : (
          await run<{ stream: string }>(db, family, 'SELECT stream FROM streams ORDER BY stream')
        ).map((r) => r.stream)
  await db.transaction().execute(async (trx) => {
    const where = input.space !== undefined ? ' WHERE space = ?' : ''
    const params = input.space !== undefined ? [input.space] : []
    for (const table of ['read_model_registers', 'read_model_entities', 'read_model_checkpoints'])
      await run(trx, family, `DELETE FROM ${table}${where}`, params)
    for (const type of Object.keys(projector.typed?.schema.types ?? {}))
      await run(trx, family, `DELETE FROM ${typedTable(family, type)}${where}`, params)
  })
  let total = 0
  for (const [i, space] of spaces.entries()) {
    const [head] = await run<{ last_seq: number | string }>(
      db,
      family,
      'SELECT last_seq FROM streams WHERE stream = ?',
      [space],
    )
    const of = Number(head?.last_seq ?? 0)
    let done = 0
    input.onProgress?.({ space, spaceIndex: i, spaces: spaces.length, bundles: 0, of })
    total += await projector.project(space, (bundles) => {
      done += bundles
      input.onProgress?.({ space, spaceIndex: i, spaces: spaces.length, bundles: done, of })
    })
  }
  return { spaces: spaces.length, bundles: total }
}
