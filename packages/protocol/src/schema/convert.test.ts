import { describe, expect, it } from 'vitest'
import { t } from './attr.js'
import { readAs, UNREADABLE } from './convert.js'
import { defineSchema } from './define.js'

/** The example: `pages` was text in version 1 and is a number from version 2. */
const pages = t.number().from('string', (s) => {
  const n = Number.parseInt(s, 10)
  return Number.isNaN(n) ? undefined : n
})

describe('reading another app version’s values (readAs)', () => {
  it('reads a value of the attribute’s own kind as it is, and null as cleared', () => {
    expect(readAs(pages, 412)).toBe(412)
    expect(readAs(t.string(), 'Dune')).toBe('Dune')
    expect(readAs(t.date(), '2026-01-02T03:04:05.000Z')).toBe('2026-01-02T03:04:05.000Z')
    expect(readAs(t.json(), { any: ['thing'] })).toEqual({ any: ['thing'] })
    expect(readAs(pages, null)).toBeNull()
  })

  it('converts a value of a declared earlier kind with the declared function', () => {
    expect(readAs(pages, '412')).toBe(412)
    const stamped = t.string().from('date', (d) => d.toISOString().slice(0, 10))
    expect(readAs(stamped, '2026-01-02T03:04:05.000Z')).toBe('2026-01-02T03:04:05.000Z')
    const flag = t.string().from('boolean', (b) => (b ? 'yes' : 'no'))
    expect(readAs(flag, true)).toBe('yes')
  })

  it('tries conversions in declaration order, the first whose kind matches', () => {
    const count = t
      .number()
      .from('boolean', (b) => (b ? 1 : 0))
      .from('string', (s) => s.length)
    expect(readAs(count, false)).toBe(0)
    expect(readAs(count, 'abc')).toBe(3)
  })

  it('finds unreadable what no conversion takes, what it refuses, throws on or gets wrong', () => {
    expect(readAs(pages, 'about 300')).toBe(UNREADABLE) // the conversion says undefined
    expect(readAs(pages, true)).toBe(UNREADABLE) // no conversion from boolean
    expect(readAs(t.string(), 474)).toBe(UNREADABLE) // version 1 reading version 2's number
    expect(readAs(t.date(), 'not a date')).toBe(UNREADABLE)
    const throwing = t.number().from('string', () => {
      throw new Error('no')
    })
    expect(readAs(throwing, '1')).toBe(UNREADABLE)
    const wrong = t.number().from('string', (s) => s as unknown as number)
    expect(readAs(wrong, '1')).toBe(UNREADABLE)
    const infinite = t.number().from('string', () => Number.POSITIVE_INFINITY)
    expect(readAs(infinite, '1')).toBe(UNREADABLE)
  })
})

describe('declaring a schema version', () => {
  it('accepts a positive integer version and keeps it', () => {
    expect(defineSchema({ a: { x: t.string() } }, { version: 3 }).version).toBe(3)
    expect(defineSchema({ a: { x: t.string() } }).version).toBeUndefined()
    for (const version of [0, -1, 1.5, Number.NaN])
      expect(() => defineSchema({ a: { x: t.string() } }, { version })).toThrow(/version/)
  })

  it('marks every attribute of a versioned schema as possibly unreadable, on its own copy', () => {
    const title = t.string()
    const v2 = defineSchema({ book: { title } }, { version: 2 })
    expect(v2.shape('book').title!.spec.mayBeUnreadable).toBe(true)
    expect(title.spec.mayBeUnreadable).toBeUndefined()
    expect(defineSchema({ book: { title } }).shape('book').title!.spec.mayBeUnreadable).toBe(
      undefined,
    )
  })

  it('refuses a rename from a name in use, claimed twice, reserved or not an identifier', () => {
    expect(() =>
      defineSchema({ note: { body: t.string().renamedFrom('text'), text: t.string() } }),
    ).toThrow(/note.body is renamed from text, which is declared/)
    expect(() =>
      defineSchema({
        note: { body: t.string().renamedFrom('text'), title: t.string().renamedFrom('text') },
      }),
    ).toThrow(/renamed from text/)
    expect(() => defineSchema({ note: { body: t.string().renamedFrom('deleted') } })).toThrow(
      /not a usable name/,
    )
    expect(() => defineSchema({ note: { body: t.string().renamedFrom('a b') } })).toThrow(
      /not a usable name/,
    )
  })
})
