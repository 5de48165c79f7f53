import { type Bundle, DEFAULT_LIMITS, type Limits, TidingsError } from '@tidings/protocol'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { addUser, revokeUser } from '../auth/users.js'
import { openStore } from '../store/kysely-store.js'
import type { Store } from '../store/store.js'
import { exportBundles } from './export.js'
import { importBundles } from './import.js'
import { readLines } from './ndjson.js'
import { chunked, seedStore, streamOf } from './testing.js'

/** Line 1 the header, line 2 alice's user line, her 100 bundles lines 3–102, line 103 the end. */
let lines: string[]

beforeAll(async () => {
  const source = await openStore('memory')
  await seedStore(source, { alice: 100 })
  const parts: string[] = []
  await exportBundles(source, { write: async (text) => void parts.push(text) })
  await source.close()
  lines = parts.join('').trimEnd().split('\n')
})

const importLines = (store: Store, input: string[], overrides: Partial<Limits> = {}) => {
  const limits = { ...DEFAULT_LIMITS, ...overrides }
  return importBundles(store, {
    lines: readLines(chunked(`${input.join('\n')}\n`, 997), limits.maxBodyBytes),
    limits,
    batchBundles: 30,
  })
}

/** The refusal an import ends with. */
const refusal = async (promise: Promise<unknown>): Promise<TidingsError> => {
  const err = await promise.then(
    () => new Error('the import succeeded'),
    (e: unknown) => e,
  )
  if (!(err instanceof TidingsError)) throw err
  return err
}

/** The export with line `n` edited: a string replaces it, anything else is written as JSON. */
const withLine = (n: number, edit: (line: Record<string, unknown>) => unknown): string[] =>
  lines.map((text, i) => {
    if (i + 1 !== n) return text
    const edited = edit(JSON.parse(text))
    return typeof edited === 'string' ? edited : JSON.stringify(edited)
  })

describe('importing bad input', () => {
  let target: Store
  beforeEach(async () => {
    target = await openStore('memory')
  })
  afterEach(async () => {
    await target.close()
  })

  it('names the line and code, stores nothing of that batch, keeps earlier ones; a re-run resumes', async () => {
    // Batches of 30: lines 3–32, 33–62, 63–92, … Line 70 is in the third.
    const corrupt = lines.map((text, i) =>
      i + 1 === 70 ? text.replace('"hlc":"', '"hlc":"x') : text,
    )
    const err = await refusal(importLines(target, corrupt))
    expect(err.code).toBe('bad_request')
    expect(err.message).toMatch(
      /^line 70: bad_request: invalid bundle line at bundle\.(events\.\d+\.)?hlc/,
    )
    expect(err.message).toContain(
      'Nothing from line 63 on was stored; the 60 bundles before it are',
    )
    expect(err.details).toMatchObject({ line: 70, storedBundles: 60 })
    expect((await streamOf(target, 'alice')).length).toBe(60)

    const again = await importLines(target, lines)
    expect(again).toMatchObject({ bundles: 100, added: 40, present: 60 })
    expect((await streamOf(target, 'alice')).length).toBe(100)
  })

  it.each([
    ['a line that is not JSON', 5, () => '{"user":"alice",', 'bad_request', 'not JSON'],
    [
      'an unknown field',
      5,
      (l: Record<string, unknown>) => ({ ...l, extra: 1 }),
      'bad_request',
      'unknown field',
    ],
    [
      'a bundle hlc that is not its greatest event hlc',
      5,
      (l: Record<string, unknown>) => ({
        ...l,
        bundle: { ...(l.bundle as Bundle), hlc: '2020-01-01T00:00:00.000Z-0000-x' },
      }),
      'bad_request',
      'hlc',
    ],
    [
      'a header of another version',
      1,
      (l: Record<string, unknown>) => ({ ...l, version: 3 }),
      'bad_request',
      'invalid export header at version',
    ],
    [
      'a first line that is no header',
      1,
      (l: Record<string, unknown>) => ({ ...l, tidings: 'other' }),
      'bad_request',
      'not a tidings export',
    ],
    [
      'a wrong end count',
      103,
      (l: Record<string, unknown>) => ({ ...l, bundles: 99 }),
      'bad_request',
      'end line counts 99',
    ],
  ])('%s -> its line and code', async (_, n, edit, code, message) => {
    const err = await refusal(importLines(target, withLine(n, edit)))
    expect(err).toMatchObject({ code, details: { line: n } })
    expect(err.message).toContain(`line ${n}: ${code}: `)
    expect(err.message).toContain(message)
  })

  it('too many events for the target limits -> too_large', async () => {
    const err = await refusal(importLines(target, lines, { maxEventsPerBundle: 3 }))
    expect(err).toMatchObject({ code: 'too_large' })
    expect(err.message).toMatch(/^line \d+: too_large: /)
  })

  it('an HLC far ahead of this clock -> clock_drift', async () => {
    const err = await refusal(importLines(target, lines, { maxDriftMs: -60 * 60_000 }))
    expect(err).toMatchObject({ code: 'clock_drift', details: { line: 3 } })
  })

  it('input cut short (no end line) -> bad_request after the last line; full batches stay', async () => {
    const err = await refusal(importLines(target, lines.slice(0, 80)))
    expect(err).toMatchObject({ code: 'bad_request', details: { line: 81 } })
    expect(err.message).toContain('cut short')
    expect((await streamOf(target, 'alice')).length).toBe(60)
  })

  it('a bundle id held with other content -> conflict at that line, nothing of its batch', async () => {
    const bundle = JSON.parse(lines[40] as string).bundle as Bundle // line 41, second batch
    const alice = await addUser(target, 'alice')
    const other = { ...bundle, events: bundle.events.map((e) => ({ ...e, value: 'changed' })) }
    await target.registerClients(alice.id, [bundle.client], Date.now())
    await target.push({ stream: alice.id, bundles: [other], now: Date.now() })
    const err = await refusal(importLines(target, lines))
    expect(err).toMatchObject({ code: 'conflict', details: { line: 41 } })
    expect((await streamOf(target, 'alice')).map((b) => b.id)).toEqual([
      bundle.id,
      ...lines.slice(2, 32).map((l) => (JSON.parse(l).bundle as Bundle).id),
    ])
  })

  it("another user's client -> forbidden at its first line", async () => {
    const bob = await addUser(target, 'bob')
    const client = (JSON.parse(lines[2] as string).bundle as Bundle).client
    await target.registerClients(bob.id, [client], Date.now())
    const err = await refusal(importLines(target, lines))
    expect(err).toMatchObject({ code: 'forbidden', details: { line: 3 } })
    expect(await streamOf(target, 'alice')).toEqual([])
  })

  it('a line longer than the body limit -> too_large, without holding it', async () => {
    const err = await refusal(importLines(target, lines, { maxBodyBytes: 200 }))
    expect(err).toMatchObject({ code: 'too_large', details: { line: 3 } })
  })

  it('skips blank lines but still counts them', async () => {
    const spaced = [lines[0] as string, '', ...lines.slice(1)]
    const summary = await importLines(target, spaced)
    expect(summary).toMatchObject({ added: 100 })
    // Cut short after 10 lines and a blank one: the end is missing at line 12.
    const cut = [...spaced.slice(0, 10), '']
    expect(await refusal(importLines(target, cut))).toMatchObject({ details: { line: 12 } })
  })
})

describe('importing users', () => {
  it('revokes an active user the export says is revoked, and never brings a revoked one back', async () => {
    const target = await openStore('memory')
    try {
      await addUser(target, 'erin')
      await addUser(target, 'finn')
      await revokeUser(target, 'finn', 7)
      const user = (name: string, revokedAt: number | null) =>
        JSON.stringify({ tidings: 'user', name, createdAt: 1, revokedAt })
      const summary = await importLines(target, [
        JSON.stringify({ tidings: 'export', version: 2, bundles: 0, events: 0 }),
        user('erin', 5),
        user('finn', null),
        user('gus', null),
        JSON.stringify({ tidings: 'end', bundles: 0, events: 0 }),
      ])
      expect(summary).toMatchObject({ createdUsers: ['gus'], revokedUsers: ['erin'] })
      expect((await target.listUsers()).map((u) => [u.name, u.revokedAt])).toEqual([
        ['erin', 5],
        ['finn', 7],
        ['gus', null],
      ])
    } finally {
      await target.close()
    }
  })
})
