import { sql, type Transaction } from 'kysely'
import type { Family } from '../dialects/family.js'
import type { Database } from '../schema.js'

/**
 * Takes a shared space's lock inside the caller's transaction, then answers the space's head
 * (its last committed position; 0 before any bundle), or null when no such space exists.
 *
 * The lock is the space's `spaces` row: the row pushes into shared spaces lock first
 * (`lockSpaces` below), so a membership change and a push into the same space run
 * one after the other. A push racing a revocation either commits before it (the removed member
 * may still read that bundle; its `leave` comes after it) or reads the new role after it and
 * is refused (invariant 6). Roles and the head read after this call stay true until commit.
 *
 * - Postgres (and PGlite): `SELECT … FOR UPDATE` on the row, held until commit or rollback.
 * - SQLite: a no-op write to the row, which takes the database's write lock at once (a plain
 *   read would let two deferred transactions of two processes both read, then one fail to
 *   upgrade with SQLITE_BUSY). In one process, transactions are serialized anyway.
 *
 * Order: space locks before any stream counter or feed lock (`appendFeed`), as pushes take
 * them; several spaces in sorted order.
 */
export const lockSpace = async (
  trx: Transaction<Database>,
  family: Family,
  space: string,
): Promise<number | null> => {
  if ((await lockSpaces(trx, family, [space])).size === 0) return null
  const head = await trx
    .selectFrom('streams')
    .select('last_seq')
    .where('stream', '=', space)
    .executeTakeFirst()
  return Number(head?.last_seq ?? 0)
}

/**
 * `lockSpace` for the spaces a push names: locks them in sorted order (two transactions locking
 * the same spaces never wait on each other in a cycle) and answers which exist.
 */
export const lockSpaces = async (
  trx: Transaction<Database>,
  family: Family,
  spaces: readonly string[],
): Promise<Set<string>> => {
  const sorted = [...new Set(spaces)].sort()
  if (sorted.length === 0) return new Set()
  const ids = sql.join(sorted)
  const { rows } =
    family === 'postgres'
      ? await sql<{ id: string }>`
          select id from spaces where id in (${ids}) order by id for update`.execute(trx)
      : await sql<{ id: string }>`
          update spaces set id = id where id in (${ids}) returning id`.execute(trx)
  return new Set(rows.map((r) => r.id))
}
