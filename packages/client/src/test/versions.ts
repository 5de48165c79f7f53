import { t } from '../schema/attr.js'
import { defineSchema } from '../schema/define.js'

/**
 * The issue's two app versions, side by side. Version 1 keeps a book's page count as text and
 * a note's text as `text`; version 2 counts pages as a number (reading version 1's text through
 * a declared conversion), adds an optional `isbn`, a new `review` type, and renames the note's
 * `text` to `body`.
 */
export const v1Schema = defineSchema(
  {
    book: { title: t.string(), pages: t.string() },
    note: { text: t.string() },
  },
  { version: 1 },
)

export const v2Schema = defineSchema(
  {
    book: {
      title: t.string(),
      pages: t.number().from('string', (s) => {
        const n = Number.parseInt(s, 10)
        return Number.isNaN(n) ? undefined : n
      }),
      isbn: t.string().optional(),
    },
    note: { body: t.string().renamedFrom('text') },
    review: { book: t.ref('book'), stars: t.number() },
  },
  { version: 2 },
)
