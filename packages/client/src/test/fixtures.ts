import type { LocalClient } from '../api/client.js'
import { type OpenClientOptions, openClient } from '../api/client.js'
import type { Client } from '../api/types.js'
import { openNodeDatabase } from '../node.js'
import { t } from '../schema/attr.js'
import { defineSchema } from '../schema/define.js'

/** The prototype's two node types, plus a small graph for relationship tests. */
export const librarySchema = defineSchema({
  document: { author: t.string().index(), title: t.string().index(), url: t.string().optional() },
  simple: { items: t.json<string[]>().default([]) },
  shelf: { name: t.string(), opened: t.date().optional(), public: t.boolean().default(false) },
  book: { title: t.string(), pages: t.number().optional(), shelf: t.ref('shelf') },
})

export type LibrarySchema = typeof librarySchema.types
export type LibraryClient = Client<LibrarySchema>

/** A client on a fresh in-memory SQLite database. */
export const memoryClient = (
  options: Partial<OpenClientOptions<LibrarySchema>> = {},
): Promise<LibraryClient> =>
  openClient({ schema: librarySchema, database: openNodeDatabase(':memory:'), ...options })

/** The implementation behind a client, for state dumps and query plans in tests. */
export const internals = (client: Client<LibrarySchema>): LocalClient =>
  client as unknown as LocalClient

/** A clock tests move by hand. */
export const manualClock = (start = Date.parse('2026-11-26T08:00:00.000Z')) => {
  let now = start
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
    set: (ms: number) => {
      now = ms
    },
  }
}
