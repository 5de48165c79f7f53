// The app's data: one entity type per key, one typed attribute per field. Edit freely: at
// start the client adds the new tables and columns, and old events stay in the log.
import { defineSchema, t } from '@tidings/client'

export const schema = defineSchema({
  note: { text: t.string(), done: t.boolean().default(false) },
})

export type AppSchema = typeof schema.types

// Types every `@tidings/react` hook with this schema.
declare module '@tidings/react' {
  interface Register {
    schema: AppSchema
  }
}
