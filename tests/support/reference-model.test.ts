import { type Event, formatHlc, type JsonValue } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonical, duplicates, foldEvents } from './reference-model.js'

const CLIENTS = ['0193a000-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000002']

/** Events on a handful of registers, so writes collide; ids and HLCs unique as on the wire. */
const events = fc
  .array(
    fc.record({
      entity: fc.constantFrom('e1', 'e2'),
      attribute: fc.constantFrom('title', 'rank'),
      value: fc.jsonValue({ maxDepth: 2 }),
      ms: fc.integer({ min: 0, max: 5 }),
      client: fc.constantFrom(...CLIENTS),
    }),
    { maxLength: 30 },
  )
  .map((raw) =>
    raw.map(
      (r, i): Event => ({
        id: `0193a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
        type: 'note',
        entity: r.entity,
        attribute: r.attribute,
        value: r.value as JsonValue,
        hlc: formatHlc({ ms: 1_700_000_000_000 + r.ms, counter: i, node: r.client }),
        client: r.client,
      }),
    ),
  )

// Sorted by JSON text: the default sort stringifies, which throws on values like {"toString": ""}.
const byJson = (x: unknown, y: unknown): number => {
  const a = JSON.stringify(x)
  const b = JSON.stringify(y)
  return a < b ? -1 : a > b ? 1 : 0
}

const text = (state: ReturnType<typeof foldEvents>) =>
  canonical(
    [...state]
      .map(([t, es]) => [t, [...es].map(([e, as]) => [e, [...as].sort(byJson)]).sort(byJson)])
      .sort(byJson),
  )

describe('reference model', () => {
  it('is a function of the set of events: order and duplicates do not matter', () => {
    fc.assert(
      fc.property(events, fc.infiniteStream(fc.nat()), (list, seeds) => {
        const shuffled = [...list, ...list.slice(0, 3)]
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (seeds.next().value as number) % (i + 1)
          ;[shuffled[i], shuffled[j]] = [shuffled[j] as Event, shuffled[i] as Event]
        }
        expect(text(foldEvents(shuffled))).toBe(text(foldEvents(list)))
      }),
    )
  })

  it('keeps the value of the greatest HLC for each register', () => {
    const a = {
      id: '0193a000-0000-7000-8000-00000000000a',
      type: 'note',
      entity: 'e',
      attribute: 'title',
      client: CLIENTS[0] as string,
    }
    const older = { ...a, value: 'old', hlc: formatHlc({ ms: 1, counter: 0, node: a.client }) }
    const newer = {
      ...a,
      id: '0193a000-0000-7000-8000-00000000000b',
      value: 'new',
      hlc: formatHlc({ ms: 2, counter: 0, node: a.client }),
    }
    expect(foldEvents([newer, older]).get('note')?.get('e')?.get('title')).toBe('new')
  })

  it('reports an event or bundle id seen twice', () => {
    const bundle = { id: 'b', client: 'c', hlc: 'h', events: [{ id: 'e' } as Event] }
    expect(duplicates([bundle, { ...bundle, id: 'b2' }])).toEqual(['event e'])
    expect(duplicates([bundle])).toEqual([])
  })
})
