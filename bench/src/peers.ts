import * as Automerge from '@automerge/automerge'
import { createMergeableStore } from 'tinybase/mergeable-store'
import * as Y from 'yjs'
import { type Bench, type BenchContext, makeRow, settle } from './context.js'
import { timeSamples } from './stats.js'
import { fmt, sampled } from './table.js'
import { tidingsPeers } from './tidings-peers.js'
import { ATTRIBUTES, docFields } from './workload.js'

/** Entity ids are made before timing so every peer pays only for its own work. */
const entityIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `e${i.toString(36)}`)

const expectCount = (peer: string, got: number, want: number): void => {
  if (got !== want) throw new Error(`${peer} read back ${got} entities, expected ${want}`)
}

/** TinyBase 10 MergeableStore: rows set in one transaction, merged by content, read back. */
const tinybase = (ids: readonly string[]): void => {
  const a = createMergeableStore('replica-a')
  a.transaction(() => {
    ids.forEach((id, i) => {
      a.setRow('document', id, docFields(i))
    })
  })
  const b = createMergeableStore('replica-b')
  b.applyMergeableChanges(a.getMergeableContent())
  expectCount('TinyBase', Object.keys(b.getTable('document')).length, ids.length)
}

/** Yjs: one nested Y.Map per entity, the whole state encoded as one update. */
const yjs = (ids: readonly string[]): void => {
  const a = new Y.Doc()
  const table = a.getMap<Y.Map<string>>('document')
  a.transact(() => {
    ids.forEach((id, i) => {
      const fields = docFields(i)
      const row = new Y.Map<string>()
      for (const attribute of ATTRIBUTES) row.set(attribute, fields[attribute])
      table.set(id, row)
    })
  })
  const b = new Y.Doc()
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  expectCount('Yjs', Object.keys(b.getMap('document').toJSON()).length, ids.length)
}

type Docs = { document: Record<string, Record<string, string>> }

/** Automerge 3: one change on A, merged into an empty B, read back as JS. */
const automerge = (ids: readonly string[]): void => {
  let a = Automerge.from<Docs>({ document: {} })
  a = Automerge.change(a, (doc) => {
    ids.forEach((id, i) => {
      doc.document[id] = docFields(i)
    })
  })
  const b = Automerge.merge(Automerge.init<Docs>(), a)
  try {
    expectCount('Automerge', Object.keys(Automerge.toJS(b).document).length, ids.length)
  } finally {
    // A document's state lives in WASM memory, which no JS collection frees: without this, the
    // samples of a full run fill the 4 GiB WASM heap and Automerge dies with `unreachable`.
    Automerge.free(a)
    Automerge.free(b)
  }
}

const PEERS: ReadonlyArray<[string, (ids: readonly string[]) => void]> = [
  ['TinyBase MergeableStore (memory)', tinybase],
  ['Yjs (memory)', yjs],
  ['Automerge (memory)', automerge],
]

/** DESIGN's LWW workload on the peers (in memory) beside Tidings (persisted, through a server). */
export const peers: Bench = {
  name: 'peers',
  async run(ctx: BenchContext) {
    const n = ctx.size(25_000, 500)
    const ids = entityIds(n)
    const measure = `peers: ${fmt(n)} entities × 4 set on A, merged into empty B, read back (ms)`
    ctx.log(`peers: Tidings, ${n} entities`)
    const ours = await settle(() => tidingsPeers(ctx, n))
    for (const [name, fn] of PEERS) {
      ctx.log(`peers: ${name}`)
      const baseline = await settle(async () =>
        sampled(await timeSamples(ctx, () => fn(ids)), 'ms'),
      )
      ctx.report(makeRow({ bench: 'peers', measure, ours, baseline, baselineName: name }))
    }
  },
}
