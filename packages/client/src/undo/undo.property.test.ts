import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { internals, type LibraryClient, librarySchema } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'
import type { UndoTarget } from './types.js'

/**
 * Undo/redo chains against a reference model (issue 16). Device `a` writes, undoes and redoes;
 * device `b`, the same user's other device, edits the same documents through a real server.
 * Every step syncs, so steps are ordered as listed (each device has pulled all earlier writes
 * before it writes) and the model's registers are plain "last write wins in step order".
 *
 * The model is written apart from the implementation: every write is a fresh token; an undo or
 * redo that restores a state declares its new token equivalent to the token that held that
 * state before (union-find), and an entry still owns a register when the register's current
 * token is equivalent to the entry's side. Stale changes are dead for good.
 */

type Attr = 'title' | 'author' | 'deleted'
type Value = string | boolean | null

interface ModelChange {
  id: string
  attr: Attr
  before: Value
  after: Value
  beforeTok: string
  afterTok: string
  dead: boolean
}

class Model {
  readonly registers = new Map<string, { value: Value; token: string }>()
  readonly parent = new Map<string, string>()
  undo: ModelChange[][] = []
  redo: ModelChange[][] = []
  readonly ids: string[] = []
  private next = 0

  constructor(private readonly limit: number) {}

  private key = (id: string, attr: Attr) => `${id}/${attr}`
  token(id: string, attr: Attr): string {
    return this.registers.get(this.key(id, attr))?.token ?? `none:${this.key(id, attr)}`
  }
  value(id: string, attr: Attr): Value | undefined {
    return this.registers.get(this.key(id, attr))?.value
  }
  find(token: string): string {
    const up = this.parent.get(token)
    return up === undefined ? token : this.find(up)
  }
  private union(a: string, b: string): void {
    const [ra, rb] = [this.find(a), this.find(b)]
    if (ra !== rb) this.parent.set(ra, rb)
  }
  private write(id: string, attr: Attr, value: Value): string {
    const token = `t${this.next++}`
    this.registers.set(this.key(id, attr), { value, token })
    return token
  }
  visible(id: string): boolean {
    return this.registers.has(this.key(id, 'title')) && this.value(id, 'deleted') !== true
  }
  /** The entity as `a.get` must show it. */
  entity(id: string): { title: Value; author: Value } | null {
    return this.visible(id)
      ? { title: this.value(id, 'title')!, author: this.value(id, 'author')! }
      : null
  }

  private push(stack: 'undo' | 'redo', entry: ModelChange[]): void {
    this[stack].push(entry)
    if (this[stack].length > this.limit) this[stack].splice(0, this[stack].length - this.limit)
  }

  /** A local write by `a`: one entry; the redo stack empties. */
  local(id: string, writes: Array<[Attr, Value]>, created: boolean): void {
    const changes: ModelChange[] = []
    if (created) {
      this.ids.push(id)
      const none = this.token(id, 'deleted')
      changes.push({
        id,
        attr: 'deleted',
        before: true,
        after: false,
        beforeTok: none,
        afterTok: none,
        dead: false,
      })
    }
    for (const [attr, value] of writes) {
      const beforeTok = this.token(id, attr)
      const before = this.value(id, attr) ?? (attr === 'deleted' ? false : null)
      const afterTok = this.write(id, attr, value)
      if (!created)
        changes.push({ id, attr, before, after: value, beforeTok, afterTok, dead: false })
    }
    this.push('undo', changes)
    this.redo = []
  }

  /** A write by the other device: no entry. */
  peer(id: string, attr: Attr, value: Value): void {
    this.write(id, attr, value)
  }

  step(from: 'undo' | 'redo'): { done: boolean; restored: UndoTarget[]; stale: UndoTarget[] } {
    const entry = this[from].pop()
    if (!entry) return { done: false, restored: [], stale: [] }
    const restored: UndoTarget[] = []
    const stale: UndoTarget[] = []
    for (const c of entry) {
      const target = { type: 'document', id: c.id, attribute: c.attr }
      const mine = from === 'undo' ? c.afterTok : c.beforeTok
      if (c.dead || this.find(this.token(c.id, c.attr)) !== this.find(mine)) {
        c.dead = true
        stale.push(target)
        continue
      }
      const token = this.write(c.id, c.attr, from === 'undo' ? c.before : c.after)
      this.union(token, from === 'undo' ? c.beforeTok : c.afterTok)
      restored.push(target)
    }
    this.push(from === 'undo' ? 'redo' : 'undo', entry)
    return { done: true, restored, stale }
  }
}

const value = fc.constantFrom('x', 'y', 'z')
const doc = fc.nat({ max: 1 })
const attr = fc.constantFrom('title' as const, 'title' as const, 'author' as const)
const steps = fc.array(
  fc.oneof(
    { weight: 2, arbitrary: value.map((title) => ({ kind: 'create' as const, title })) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('update' as const), doc, attr, value }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), doc }) },
    { weight: 4, arbitrary: fc.constant({ kind: 'undo' as const }) },
    { weight: 3, arbitrary: fc.constant({ kind: 'redo' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('peerUpdate' as const), doc, attr, value }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('peerDelete' as const), doc }) },
  ),
  { minLength: 4, maxLength: 30, size: 'max' },
)

const sorted = (targets: UndoTarget[]) =>
  [...targets].sort((x, y) => `${x.id}${x.attribute}`.localeCompare(`${y.id}${y.attribute}`))

describe('undo/redo chains with a peer editing meanwhile, against a reference model', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = (await startBackend('sqlite')).server
  })
  afterAll(() => server?.close())

  it('undoes a transaction that synced long ago: the undo syncs like any write', async () => {
    const user = await server.addUser(`undo-synced-${Date.now()}`)
    const a = await serverClient(server, user.token)
    const b = await serverClient(server, user.token)
    const doc = await a.create('document', { author: 'Ada', title: 'Draft' })
    await a.update('document', doc.id, { title: 'Final', author: 'Ada L.' })
    await a.sync()
    await b.sync()
    await b.update('document', doc.id, { author: 'Ada Lovelace' })
    await b.sync()
    await a.sync()

    expect(await a.undo()).toEqual({
      done: true,
      restored: [{ type: 'document', id: doc.id, attribute: 'title' }],
      stale: [{ type: 'document', id: doc.id, attribute: 'author' }],
    })
    expect(a.status.pending).toBe(1)
    await a.sync()
    await b.sync()
    expect(await b.get('document', doc.id)).toMatchObject({
      title: 'Draft',
      author: 'Ada Lovelace',
    })
    // Stacks are per device: the other one holds its own edit only.
    expect(b.undoState()).toMatchObject({ undoCount: 1 })
    await a.close()
    await b.close()
  })

  it('the client equals the model after every step, and both devices converge', async () => {
    const limit = 4
    await fc.assert(
      fc.asyncProperty(steps, async (plan) => {
        const user = await server.addUser(`undo-${Date.now()}-${Math.random()}`)
        const a: LibraryClient = await openClient({
          schema: librarySchema,
          database: openNodeDatabase(':memory:'),
          server: { url: server.url, token: user.token },
          undoLimit: limit,
        })
        const b: LibraryClient = await serverClient(server, user.token)
        const model = new Model(limit)
        try {
          for (const step of plan) {
            const id =
              'doc' in step ? model.ids[step.doc % Math.max(1, model.ids.length)] : undefined
            switch (step.kind) {
              case 'create': {
                const created = await a.create('document', { title: step.title, author: 'a' })
                model.local(
                  created.id,
                  [
                    ['title', step.title],
                    ['author', 'a'],
                  ],
                  true,
                )
                break
              }
              case 'update':
                if (!id || !model.visible(id)) continue
                await a.update('document', id, { [step.attr]: step.value })
                model.local(id, [[step.attr, step.value]], false)
                break
              case 'delete':
                if (!id || !model.visible(id)) continue
                await a.delete('document', id)
                model.local(id, [['deleted', true]], false)
                break
              case 'undo':
              case 'redo': {
                const got = await a[step.kind]()
                const want = model.step(step.kind)
                expect({
                  ...got,
                  restored: sorted(got.restored),
                  stale: sorted(got.stale),
                }).toEqual({
                  ...want,
                  restored: sorted(want.restored),
                  stale: sorted(want.stale),
                })
                break
              }
              case 'peerUpdate':
              case 'peerDelete':
                if (!id || !model.visible(id)) continue
                await b.sync()
                if (step.kind === 'peerUpdate') {
                  await b.update('document', id, { [step.attr]: step.value })
                  model.peer(id, step.attr, step.value)
                } else {
                  await b.delete('document', id)
                  model.peer(id, 'deleted', true)
                }
                await b.sync()
                break
            }
            await a.sync()
            for (const known of model.ids)
              expect(await a.get('document', known)).toEqual(
                model.entity(known) && { id: known, space: null, ...model.entity(known) },
              )
            expect(a.undoState()).toMatchObject({
              undoCount: model.undo.length,
              redoCount: model.redo.length,
            })
          }
          await b.sync()
          expect(internals(b).store.dump()).toEqual(internals(a).store.dump())
        } finally {
          await a.close()
          await b.close()
        }
      }),
      {
        numRuns: 25,
        // Two edits of one title undone in turn: the first owns its value again after the
        // second's undo (ownership hand-over).
        examples: [
          [
            [
              { kind: 'create', title: 'x' },
              { kind: 'update', doc: 0, attr: 'title', value: 'y' },
              { kind: 'update', doc: 0, attr: 'title', value: 'z' },
              { kind: 'undo' },
              { kind: 'undo' },
              { kind: 'redo' },
            ],
          ],
        ],
      },
    )
  })
})
