import { type Event, wins } from '@tidings/protocol'
import type { Family } from '../store/dialects/family.js'
import { entityRow } from './entity-row.js'
import { type AnyDb, chunked, placeholders, run } from './sql.js'
import { loadRegisters, type TypedTables } from './typed-tables.js'

/** A stored bundle as the projector reads it. */
interface StoredBundle {
  stream: string
  seq: number | string
  events: string
  part: string | null
}

/** What one step did to one space: bundles read past its checkpoint, and where it now is. */
export interface Step {
  bundles: number
  seq: number
}

/**
 * Projects the next bundles (at most `limit` in all) of several spaces after their
 * checkpoints, in one transaction with the checkpoints' advance: a handful of statements
 * whatever the number of spaces, so many spaces that each gained one bundle (the usual load:
 * many devices pushing) cost one round of statements, not one per space. On Postgres the
 * checkpoint rows are locked first (`FOR UPDATE`, in space order), so projectors of several
 * server nodes take turns per space; SQLite's writes are serialized anyway. Registers move
 * only to a greater `(hlc, event)`, so even a bundle applied twice changes nothing.
 *
 * A bundle that is one part of a bigger transaction is applied with its whole group, at the
 * group's last part in stream order, as clients hold parts aside until all are there: the read
 * model never shows part of a transaction. Answers the spaces that advanced.
 */
export const projectStep = async (input: {
  db: AnyDb
  family: Family
  spaces: readonly string[]
  limit: number
  typed?: TypedTables | undefined
  now: number
}): Promise<Map<string, Step>> => {
  const { db, family, limit, typed, now } = input
  const spaces = [...new Set(input.spaces)].sort()
  const steps = new Map<string, Step>()
  if (spaces.length === 0) return steps
  const list = spaces.map(() => '?').join(', ')
  return db.transaction().execute(async (trx) => {
    await run(
      trx,
      family,
      `INSERT INTO read_model_checkpoints (space, seq, updated_at) VALUES ${placeholders(spaces.length, 3)} ON CONFLICT (space) DO NOTHING`,
      spaces.flatMap((s) => [s, 0, now]),
    )
    const lock = family === 'postgres' ? ' FOR UPDATE' : ''
    await run(
      trx,
      family,
      `SELECT space FROM read_model_checkpoints WHERE space IN (${list}) ORDER BY space${lock}`,
      spaces,
    )
    const bundles = await run<StoredBundle>(
      trx,
      family,
      `SELECT b.stream, b.seq, b.events, b.part FROM read_model_checkpoints c JOIN bundles b ON b.stream = c.space AND b.seq > c.seq
WHERE c.space IN (${list}) ORDER BY b.stream, b.seq LIMIT ?`,
      [...spaces, limit],
    )
    if (bundles.length === 0) return steps
    const events: Array<{ space: string; event: Event }> = []
    for (const b of bundles) {
      const of =
        b.part === null ? (JSON.parse(b.events) as Event[]) : await completedGroup(trx, family, b)
      for (const event of of) events.push({ space: b.stream, event })
      const step = steps.get(b.stream) ?? { bundles: 0, seq: 0 }
      step.bundles++
      step.seq = Number(b.seq)
      steps.set(b.stream, step)
    }
    await applyEvents(trx, family, events, typed)
    await run(
      trx,
      family,
      `INSERT INTO read_model_checkpoints (space, seq, updated_at) VALUES ${placeholders(steps.size, 3)}
ON CONFLICT (space) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`,
      [...steps].flatMap(([space, step]) => [space, step.seq, now]),
    )
    return steps
  })
}

/** The events of a part's whole group when `part` completes it; else none (yet). */
const completedGroup = async (db: AnyDb, family: Family, b: StoredBundle): Promise<Event[]> => {
  const part = JSON.parse(b.part as string) as { group: string; count: number }
  const parts = await run<StoredBundle>(
    db,
    family,
    'SELECT stream, seq, events, part FROM bundles WHERE stream = ? AND seq <= ? AND part LIKE ? ORDER BY seq',
    [b.stream, b.seq, `%"group":"${part.group}"%`],
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
  events: ReadonlyArray<{ space: string; event: Event }>,
  typed?: TypedTables,
): Promise<void> => {
  if (events.length === 0) return
  // One row per register: a multi-row upsert may not touch a row twice (Postgres refuses).
  const winners = new Map<string, { space: string; event: Event }>()
  for (const w of events) {
    const e = w.event
    const key = `${w.space}\u0000${e.type}\u0000${e.entity}\u0000${e.attribute}`
    if (wins(e, winners.get(key)?.event)) winners.set(key, w)
  }
  for (const chunk of chunked([...winners.values()])) {
    const params: unknown[] = []
    for (const { space, event: e } of chunk)
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
  const touched = new Map<string, { space: string; type: string; id: string }>()
  for (const { space, event: e } of winners.values())
    touched.set(`${space}\u0000${e.type}\u0000${e.entity}`, { space, type: e.type, id: e.entity })
  const registers = await loadRegisters(db, family, [...touched.values()])
  const entities = [...touched].map(([key, t]) => {
    const regs = registers.get(key) ?? []
    return { ...t, registers: regs, row: entityRow(regs) }
  })
  for (const chunk of chunked(entities)) {
    const params: unknown[] = []
    for (const e of chunk)
      params.push(
        e.space,
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
  if (typed) await typed.upsert(db, entities)
}
