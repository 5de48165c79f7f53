import { defineSchema, t } from '@tidings/client'

/** The Document Library's one entity type (the prototype's example app). */
export const schema = defineSchema({
  document: {
    title: t.string().index(),
    author: t.string().index(),
    url: t.string().optional(),
  },
})

export type Library = typeof schema.types

declare module '@tidings/react' {
  interface Register {
    schema: Library
  }
}
