import { type Bundle, messageSchemas } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { internals, memoryClient } from '../test/fixtures.js'
import { FastWire } from './fast-wire.js'

const schema = messageSchemas().getBundlesResponse

/** A page of real bundles from two devices, round-tripped through JSON as on the wire. */
const page = async (): Promise<Bundle[]> => {
  const bundles: Bundle[] = []
  for (let d = 0; d < 2; d++) {
    const device = await memoryClient()
    const store = internals(device).store
    for (let b = 0; b < 2; b++)
      bundles.push(
        store.commitLocal(
          [
            { type: 'document', entity: `e${b}`, attribute: 'title', value: 'x' },
            { type: 'shelf', entity: `s${b}`, attribute: 'opened', value: { at: [1, null] } },
            { type: 'document', entity: `e${b}`, attribute: 'deleted', value: false },
          ],
          10,
        ).bundle,
      )
    await device.close()
  }
  return JSON.parse(JSON.stringify(bundles)) as Bundle[]
}

const odd: unknown[] = [
  undefined,
  null,
  '',
  'X',
  '01937b5e-0000-7000-8000-00000000000G',
  '2026-02-31T00:00:00.000Z-0000-x',
  12,
  Number.NaN,
  [],
  {},
  'a b',
  'x'.repeat(200),
]

describe('the fast check of pulled bundles', () => {
  it('accepts a valid page, as the schema does', async () => {
    const bundles = await page()
    expect(new FastWire().bundles(bundles)).toBe(true)
    expect(schema.safeParse({ bundles }).success).toBe(true)
  })

  it('never accepts what the schema refuses (property: any one field broken, added or removed)', async () => {
    const valid = await page()
    await fc.assert(
      fc.property(
        fc.nat(3),
        fc.option(fc.nat(2), { nil: undefined }),
        fc.constantFrom('id', 'client', 'hlc', 'type', 'entity', 'attribute', 'value', 'extra'),
        fc.nat(odd.length - 1),
        fc.boolean(),
        (b, e, field, pick, remove) => {
          const bundles = structuredClone(valid)
          const target = (e === undefined
            ? bundles[b]
            : bundles[b]!.events[e]) as unknown as Record<string, unknown>
          if (remove) delete target[field]
          else target[field] = odd[pick]
          const fast = new FastWire().bundles(bundles)
          if (fast) expect(schema.safeParse({ bundles }).success).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('refuses a bundle whose hlc is not its greatest event hlc, or repeats an event id', async () => {
    const [first] = await page()
    const stale = { ...first!, hlc: first!.events[0]!.hlc }
    const repeated = { ...first!, events: [first!.events[0]!, ...first!.events] }
    for (const bundle of [stale, repeated]) {
      expect(new FastWire().bundles([bundle])).toBe(false)
      expect(schema.safeParse({ bundles: [bundle] }).success).toBe(false)
    }
  })
})
