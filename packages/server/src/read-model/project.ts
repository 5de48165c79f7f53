import { type Event, wins } from '@tidings/protocol'
import type { Family } from '../store/dialects/family.js'
import { entityRow } from './entity-row.js'
import { type AnyDb, chunked, placeholders, run } from './sql.js'
import { loadRegisters, type TypedTables } from './typed-tables.js'

/** A stored bundle as the projector reads it. */
interface StoredBundle {
  seq: number | string
  events: string
  part: string | null
}

/** What one step of projecting a space did. */
export interface Step {
  /** Bundles read past the checkpoint (0: the space was caught up). */
  bundles: number
  events: number
  /** The space's checkpoint after the step. */
  seq: number
}

/**
 * Projects the next bundles of one space (at most `limit`) after its checkpoint, in one
 * transaction with the checkpoint's advance. On Postgres the checkpoint row is locked first
 * (`FOR UPDATE`), so projectors of several server nodes take turns per space; SQLite's writes
 * are serialized anyway. Registers move only to a greater `(hlc, event)`, so even a bundle
 * applied twice changes nothing.
 *
 * A bundle that is one part of a bigger transaction is applied with its whole group, at the
 * group's last part in stream order, as clients hold parts aside until all are there: the read
 * model never shows part of a transaction.
 */
export const projectStep = async (input: {
  db: AnyDb
  family: Family
  space: string
  limit: number
  typed?: TypedTables | undefined
  now: number
}): Promise<Step> => {
  const { db, family, space, limit, typed } = input
  return db.transaction().execute(async (trx) => {
    const lock = family === 'postgres' ? ' FOR UPDATE' : ''
    const read = () =>
      run<{ seq: number | string }>(
        trx,
        family,
        `SELECT seq FROM read_model_checkpoints WHERE space = ?${lock}`,
        [space],
      )
    let [cp] = await read()
    if (!cp) {
      // A space's first projection: its row, then the lock (a racing node inserts nothing).
      await run(
        trx,
        family,
        'INSERT INTO read_model_checkpoints (space, seq, updated_at) VALUES (?, 0, ?) ON CONFLICT (space) DO NOTHING',
        [space, input.now],
      )
      ;[cp] = await read()
    }
    const from = Number(cp?.seq ?? 0)
    const bundles = await run<StoredBundle>(
      trx,
      family,
      'SELECT seq, events, part FROM bundles WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?',
      [space, from, limit],
    )
    if (bundles.length === 0) return { bundles: 0, events: 0, seq: from }
    const events: Event[] = []
    for (const b of bundles) {
      if (b.part === null) events.push(...(JSON.parse(b.events) as Event[]))
      else events.push(...(await completedGroup(trx, family, space, b)))
    }
    await applyEvents(trx, family, space, events, typed)
    const seq = Number(bundles[bundles.length - 1]!.seq)
    await run(
      trx,
      family,
      'UPDATE read_model_checkpoints SET seq = ?, updated_at = ? WHERE space = ?',
      [seq, input.now, space],
    )
    return { bundles: bundles.length, events: events.length, seq }
  })
}

/** The events of a part's whole group when `part` completes it; else none (yet). */
const completedGroup = async (
  db: AnyDb,
  family: Family,
  space: string,
  b: StoredBundle,
): Promise<Event[]> => {
  const part = JSON.parse(b.part as string) as { group: string; count: number }
  const parts = await run<StoredBundle>(
    db,
    family,
    'SELECT seq, events, part FROM bundles WHERE stream = ? AND seq <= ? AND part LIKE ? ORDER BY seq',
    [space, b.seq, `%"group":"${part.group}"%`],
  )
  const indexes = new Set(
    parts.map((p) => (JSON.parse(p.part as string) as { index: number }).index),
  )
  if (indexes.size < part.count) return []
  return parts.flatMap((p) => JSON.parse(p.events) as Event[])
}

/** Last-writer-wins of `events` into the registers, then the touched entities' rows. */
export const applyEvents = async (
  db: AnyDb,
  family: Family,
  space: string,
  events: readonly Event[],
  typed?: TypedTables,
): Promise<void> => {
  if (events.length === 0) return
  // One row per register: a multi-row upsert may not touch a row twice (Postgres refuses).
  const winners = new Map<string, Event>()
  for (const e of events) {
    const key = `${e.type}\u0000${e.entity}\u0000${e.attribute}`
    if (wins(e, winners.get(key))) winners.set(key, e)
  }
  for (const chunk of chunked([...winners.values()])) {
    const params: unknown[] = []
    for (const e of chunk)
      params.push(space, e.type, e.entity, e.attribute, JSON.stringify(e.value), e.hlc, e.id)
    await run(
      db,
      family,
      `INSERT INTO read_model_registers (space, type, id, attribute, value, hlc, event) VALUES ${placeholders(chunk.length, 7)}
ON CONFLICT (space, type, id, attribute) DO UPDATE SET value = excluded.value, hlc = excluded.hlc, event = excluded.event
WHERE (excluded.hlc, excluded.event) > (read_model_registers.hlc, read_model_registers.event)`,
      params,
    )
  }
  const touched = new Map<string, { type: string; id: string }>()
  for (const e of winners.values())
    touched.set(`${e.type}\u0000${e.entity}`, { type: e.type, id: e.entity })
  const registers = await loadRegisters(
    db,
    family,
    space,
    [...touched.values()].map((t) => t.id),
  )
  const entities = [...touched].map(([key, t]) => {
    const regs = registers.get(key) ?? []
    return { ...t, registers: regs, row: entityRow(regs) }
  })
  for (const chunk of chunked(entities)) {
    const params: unknown[] = []
    for (const e of chunk)
      params.push(
        space,
        e.type,
        e.id,
        JSON.stringify(e.row.data),
        family === 'postgres' ? e.row.deleted : e.row.deleted ? 1 : 0,
        e.row.hlc,
      )
    await run(
      db,
      family,
      `INSERT INTO read_model_entities (space, type, id, data, deleted, hlc) VALUES ${placeholders(chunk.length, 6)}
ON CONFLICT (space, type, id) DO UPDATE SET data = excluded.data, deleted = excluded.deleted, hlc = excluded.hlc`,
      params,
    )
  }
  if (typed) await typed.upsert(db, space, entities)
}
