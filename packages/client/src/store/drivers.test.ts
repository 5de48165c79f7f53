import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as SQLite from '@journeyapps/wa-sqlite'
import SQLiteModuleFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite.mjs'
import type { Bundle, JsonValue } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { WaSqliteDatabase } from '../browser/wa-sqlite-database.js'
import { bindSqlite, type WasmModule } from '../browser/wasm-module.js'
import { openNodeDatabase } from '../node.js'
import { internals, librarySchema, manualClock } from '../test/fixtures.js'
import type { Op } from './store.js'

// One wasm instance hosts every wa-sqlite database of this file (instantiating is the slow part).
const wasm = readFileSync(
  createRequire(import.meta.url).resolve('@journeyapps/wa-sqlite/dist/wa-sqlite.wasm'),
)
const module = (await SQLiteModuleFactory({ wasmBinary: wasm })) as WasmModule
const sqlite = SQLite.Factory(module)
const bound = bindSqlite(module)
const openWa = async () => new WaSqliteDatabase(module, bound, await sqlite.open_v2(':memory:'))

const value: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -5, max: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom('x', 'y'), { maxLength: 2 }),
)
const op: fc.Arbitrary<Op> = fc
  .tuple(
    fc.constantFrom('e1', 'e2'),
    fc.constantFrom<[string, string]>(
      ['document', 'title'],
      ['document', 'deleted'],
      ['simple', 'items'],
      ['shelf', 'public'],
    ),
    value,
  )
  .map(([entity, [type, attribute], v]) => ({ type, entity, attribute, value: v }))

/**
 * The same client core on the browser's SQLite (wa-sqlite) and on better-sqlite3: replicas on
 * different drivers that received the same bundles dump identical state, so a browser tab and a
 * Node process can never disagree about what the data is.
 */
describe('convergence across SQLite drivers (property)', () => {
  it('a wa-sqlite replica and a better-sqlite3 replica end byte-for-byte equal', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.array(op, { minLength: 1, maxLength: 3 })), {
          maxLength: 12,
        }),
        async (writes) => {
          const clock = manualClock()
          const wa = await openClient({
            schema: librarySchema,
            database: await openWa(),
            now: clock.now,
          })
          const node = await openClient({
            schema: librarySchema,
            database: openNodeDatabase(':memory:'),
            now: clock.now,
          })
          const sent: Bundle[] = []
          for (const [onWa, ops] of writes) {
            clock.advance(1)
            sent.push(internals(onWa ? wa : node).store.commitLocal(ops, 100).bundle)
          }
          internals(wa).store.applyRemote(sent)
          internals(node).store.applyRemote([...sent].reverse())
          expect(internals(wa).store.dump()).toEqual(internals(node).store.dump())
          await wa.close()
          await node.close()
        },
      ),
      { numRuns: 60 },
    )
  }, 120_000)
})
