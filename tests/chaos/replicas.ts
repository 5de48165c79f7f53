import { type Client, defineSchema, openClient, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { type Event, isTidingsError, type JsonValue } from '@tidings/protocol'
import type { Prng } from '../support/prng.js'
import { canonical, type Winners } from '../support/reference-model.js'

/** A deliberately small schema so that writes collide on the same registers often. */
export const chaosSchema = defineSchema({
  note: {
    title: t.string(),
    body: t.string().optional(),
    rank: t.number().optional(),
    done: t.boolean().optional(),
    tags: t.json<string[]>().default([]),
  },
})

export type ChaosClient = Client<(typeof chaosSchema)['types']>

/** The client's internal store, reached for state dumps and its own event log (test only). */
interface StoreInternals {
  store: {
    dump(): {
      attributes: Array<Record<string, unknown>>
      tables: Record<string, Array<Record<string, unknown>>>
    }
    sql: { all<R>(sql: string, params?: unknown[]): R[] }
  }
}

const internals = (client: ChaosClient): StoreInternals['store'] =>
  (client as unknown as StoreInternals).store

export interface OpenOptions {
  url: string
  token: string
  now?: () => number
  /** A monotonic clock, so a wall clock set under the replica is noticed. */
  monotonic?: () => number
  /** A SQLite file, so the replica can be closed and reopened; in memory when absent. */
  file?: string
}

export const openReplica = (options: OpenOptions): Promise<ChaosClient> =>
  openClient({
    schema: chaosSchema,
    database: openNodeDatabase(options.file ?? ':memory:'),
    server: { url: options.url, token: options.token, attempts: 1, backoffMs: 5, live: false },
    ...(options.now && { now: options.now }),
    ...(options.monotonic && { monotonic: options.monotonic }),
    onError: () => undefined,
  }) as Promise<ChaosClient>

/** A random write on an entity from a shared pool, so replicas fight over the same registers. */
export const randomWrite = async (
  client: ChaosClient,
  prng: Prng,
  pool: readonly string[],
): Promise<string> => {
  const id = prng.pick(pool)
  const patch = randomPatch(prng)
  const existing = await client.get('note', id)
  if (existing === null) {
    try {
      await client.create('note', { id, title: `t${prng.int(0, 99)}`, ...patch })
      return 'create'
    } catch (err) {
      // A deleted id stays deleted (create refuses it): write a fresh entity instead.
      if (!isTidingsError(err, 'conflict')) throw err
      await client.create('note', { title: `t${prng.int(0, 99)}`, ...patch })
      return 'create'
    }
  }
  const roll = prng.next()
  if (roll < 0.05) {
    await client.delete('note', id)
    return 'delete'
  }
  if (roll < 0.3) {
    const other = prng.pick(pool)
    await client.transaction(async (tx) => {
      await tx.update('note', id, patch)
      if ((await tx.get('note', other)) !== null) await tx.update('note', other, randomPatch(prng))
    })
    return 'transaction'
  }
  await client.update('note', id, patch)
  return 'update'
}

const randomPatch = (prng: Prng): Record<string, JsonValue> => {
  const patch: Record<string, JsonValue> = {}
  if (prng.chance(0.6)) patch.title = `t${prng.int(0, 99)}`
  if (prng.chance(0.4)) patch.body = prng.pick(['', 'é', '🙂', 'x'.repeat(prng.int(1, 50)), 'a\nb'])
  if (prng.chance(0.4)) patch.rank = prng.pick([0, -1, 1.5, prng.int(0, 1e6)])
  if (prng.chance(0.3)) patch.done = prng.chance(0.5)
  if (prng.chance(0.3))
    patch.tags = Array.from({ length: prng.int(0, 3) }, () => `g${prng.int(0, 5)}`)
  if (Object.keys(patch).length === 0) patch.title = `t${prng.int(0, 99)}`
  return patch
}

/** Every event in the replica's log, or only those it wrote itself. */
export const localEvents = (client: ChaosClient, own = false): Event[] => {
  const sql =
    'SELECT id, type, entity, attribute, value, hlc, client FROM events' +
    (own ? ' WHERE client = ?' : '')
  const rows = internals(client).sql.all<Event & { value: string }>(
    sql,
    own ? [client.clientId] : [],
  )
  return rows.map((r) => ({ ...r, value: JSON.parse(r.value) as JsonValue }))
}

/** The replica's full state (registers and typed rows) as one canonical text. */
export const fullDump = (client: ChaosClient): string => canonical(internals(client).dump())

/**
 * Where two replicas' full states part: the first register or typed row (as canonical text)
 * that one holds and the other does not, so a failure names what differs, not only that.
 */
export const dumpDiff = (a: ChaosClient, b: ChaosClient): string => {
  const rows = (client: ChaosClient) => {
    const { attributes, tables } = internals(client).dump()
    return [
      ...attributes.map((r) => `register ${canonical(r)}`),
      ...Object.entries(tables).flatMap(([type, list]) =>
        list.map((r) => `${type} ${canonical(r)}`),
      ),
    ]
  }
  const left = rows(a)
  const right = rows(b)
  const inLeft = new Set(left)
  const inRight = new Set(right)
  const only = left.find((r) => !inRight.has(r))
  const other = right.find((r) => !inLeft.has(r))
  return `first only here: ${only?.slice(0, 400) ?? 'none'}; first only there: ${other?.slice(0, 400) ?? 'none'}`
}

/** What the replica shows through its public API, deleted objects included. */
export const publicDump = async (client: ChaosClient): Promise<string> => {
  const rows = await client.fetch('note', { includeDeleted: true })
  return canonical([...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
}

/** Differences between the replica's registers and the reference model's winners. */
export const modelDiff = (client: ChaosClient, winners: Winners): string[] => {
  const rows = internals(client).dump().attributes as Array<{
    type: string
    entity: string
    attribute: string
    value: string
    event: string
  }>
  const diffs: string[] = []
  const seen = new Set<string>()
  for (const row of rows) {
    const key = JSON.stringify([row.type, row.entity, row.attribute])
    seen.add(key)
    const winner = winners.get(key)
    if (!winner) diffs.push(`${key}: replica has a register the model lacks`)
    else if (
      winner.id !== row.event ||
      canonical(winner.value) !== canonical(JSON.parse(row.value))
    )
      diffs.push(
        `${key}: replica ${row.event}=${row.value}, model ${winner.id}=${canonical(winner.value)}`,
      )
  }
  for (const key of winners.keys())
    if (!seen.has(key)) diffs.push(`${key}: replica lacks the register`)
  return diffs
}
