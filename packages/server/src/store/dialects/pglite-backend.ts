import { PGlite } from '@electric-sql/pglite'
import { Kysely } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import type { Database } from '../schema.js'
import type { Backend } from './family.js'

/**
 * Postgres compiled to WebAssembly, in process: runs the Postgres dialect where no Postgres
 * server exists. `dir` undefined keeps the data in memory.
 */
export const openPglite = async (dir: string | undefined): Promise<Backend> => {
  const pglite = dir === undefined ? new PGlite() : new PGlite(dir)
  await pglite.waitReady
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) })
  return {
    family: 'postgres',
    db,
    description: dir === undefined ? 'pglite:memory' : `pglite:${dir}`,
  }
}
