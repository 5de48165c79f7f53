/**
 * Profiles an initial sync end to end: a server process (SQLite file, or Postgres with a URL)
 * seeded with `events` events, then a new file client pulling all of them:
 *
 *   node --import tsx --conditions=@tidings/source packages/client/scripts/profile-sync.ts [events] [db]
 *
 * Prints seconds and events/s of the pull, and the same client-side work without the server
 * (the pages replayed from memory) for comparison.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { type Bundle, type Event, HybridClock, newId, ROUTES } from '@tidings/protocol'
import { defineSchema, openClient, t } from '../src/index.js'
import { openNodeDatabase } from '../src/node.js'

const events = Number(process.argv[2] ?? 100_000)
const dir = mkdtempSync(path.join(tmpdir(), 'tidings-profile-sync-'))
const db = process.argv[3] ?? `sqlite:${path.join(dir, 'server.db')}`
const cli = path.resolve(import.meta.dirname, '../../server/src/cli.ts')
const node = ['--import', 'tsx', '--conditions=@tidings/source', cli]

const run = (args: string[]): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...node, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))))
  })

const serve = async () => {
  // TIDINGS_PROFILE_SERVER=DIR writes a CPU profile of the server process there.
  const profile = process.env.TIDINGS_PROFILE_SERVER
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []
  const child = spawn(process.execPath, [...flags, ...node, 'serve', '--port', '0', '--db', db], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })
  const url = await new Promise<string>((resolve) => {
    lines.on('line', (line) => {
      const m = /listening on (http\S+)/.exec(line)
      if (m) resolve(m[1]!)
    })
  })
  return { url, stop: () => child.kill('SIGTERM') }
}

const schema = defineSchema({
  document: {
    author: t.string().index(),
    title: t.string().index(),
    url: t.string(),
    note: t.string(),
  },
})

const seed = async (url: string, token: string) => {
  const clock = new HybridClock({ node: newId() })
  for (let doc = 0; doc * 4 < events; doc += 2_500) {
    const bundles: Bundle[] = []
    for (let b = 0; b < 10; b++) {
      const list: Event[] = []
      for (let i = 0; i < 250; i++) {
        const entity = newId()
        const n = doc + b * 250 + i
        for (const [attribute, value] of Object.entries({
          author: `author-${n % 100}`,
          title: `Title ${(n * 7919) % 1_000_003} of a document`,
          url: `https://example.com/documents/${n}`,
          note: `note ${n}: some words about this document`,
        }))
          list.push({
            id: newId(),
            type: 'document',
            entity,
            attribute,
            value,
            hlc: clock.send(),
            client: clock.node,
          })
      }
      bundles.push({ id: newId(), client: clock.node, hlc: list.at(-1)!.hlc, events: list })
    }
    const response = await fetch(url + ROUTES.sync, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ client: clock.node, hlc: clock.send(), cursor: null, bundles }),
    })
    if (!response.ok) throw new Error(`seed: ${response.status} ${await response.text()}`)
  }
}

const main = async () => {
  const user = JSON.parse(await run(['user', 'add', 'bench', '--db', db, '--json'])) as {
    token: string
  }
  const server = await serve()
  try {
    let start = performance.now()
    await seed(server.url, user.token)
    console.log(`seeded ${events} events in ${((performance.now() - start) / 1000).toFixed(1)} s`)
    const client = await openClient({
      schema,
      database: openNodeDatabase(path.join(dir, 'client.db')),
      server: { url: server.url, token: user.token },
    })
    start = performance.now()
    const { pulled } = await client.sync()
    const s = (performance.now() - start) / 1000
    const docs = (await client.fetch('document', {})).length
    console.log(
      `initial sync: ${pulled} bundles, ${docs} documents, ${s.toFixed(2)} s, ${Math.round(events / s)} events/s`,
    )
    await client.close()
  } finally {
    server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
