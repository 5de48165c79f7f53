/**
 * Profiles the server under `/v1/sync` load: starts `tidings serve` as a child with extra Node
 * flags (e.g. --cpu-prof), drives it at 50 connections with current cursors, prints req/s.
 *
 *   node --import tsx --conditions=@tidings/source packages/server/scripts/profile.ts --db URL [--duration 8] [--node-flag=--cpu-prof]
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ROUTES } from '@tidings/protocol'
import autocannon from 'autocannon'
import { addUser } from '../src/auth/users.js'
import { openStore } from '../src/store/kysely-store.js'
import { TestClient } from '../src/testing/fixtures.js'

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    duration: { type: 'string', default: '8' },
    'node-flag': { type: 'string', multiple: true, default: [] },
    /** Another checkout's root, to measure its server (e.g. the code before a change). */
    root: { type: 'string' },
    /** Drive the bare Fastify route (scripts/bare-server.ts) instead, for reference. */
    bare: { type: 'boolean', default: false },
  },
})
const ROOT = values.root ?? fileURLToPath(new URL('../../../', import.meta.url))
const db = values.db as string
const store = await openStore(db)
const tokens: string[] = []
for (let i = 0; i < 50; i++) tokens.push((await addUser(store, `p-${i}-${Date.now()}`)).token)
await store.close()
const child = spawn(
  process.execPath,
  [
    ...(values['node-flag'] ?? []),
    '--import',
    'tsx',
    '--conditions=@tidings/source',
    'packages/server/src/cli.ts',
    'serve',
    '--quiet',
    '--port',
    '0',
    '--db',
    db,
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
)
const url = await new Promise<string>((resolve) => {
  let out = ''
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString()
    const m = /listening on (\S+)/.exec(out)?.[1]
    if (m) resolve(m)
  })
})
const VALUE = 'x'.repeat(200)
const devices = tokens.map((token) => ({
  token,
  device: new TestClient(),
  cursor: null as string | null,
}))
let n = 0
const run = () =>
  autocannon({
    url: `${url}${values.bare ? '/bare' : ROUTES.sync}`,
    method: 'POST',
    connections: 50,
    duration: Number(values.duration),
    setupClient(client) {
      const d = devices[n++ % devices.length] as (typeof devices)[number]
      let chunks: Buffer[] = []
      const body = () =>
        JSON.stringify(d.device.syncBody([d.device.bundle({ count: 5, value: VALUE })], d.cursor))
      client.setHeadersAndBody(
        { 'content-type': 'application/json', authorization: `Bearer ${d.token}` },
        body(),
      )
      client.on('body', (c: Buffer) => chunks.push(c))
      client.on('response', (status: number) => {
        const text = Buffer.concat(chunks).toString()
        chunks = []
        if (status === 200) d.cursor = (JSON.parse(text) as { cursor: string }).cursor
        else console.error(status, text.slice(0, 200))
        client.setBody(body())
      })
    },
    // biome-ignore lint/suspicious/noExplicitAny: autocannon's types miss setupClient
  } as any)
/** utime + stime of the server process, ms (Linux). */
const cpuMs = () => {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}
n = 0
await run()
const cpu0 = cpuMs()
const r = await run()
const cpu = (cpuMs() - cpu0) / r.requests.total
console.log(
  `${values.bare ? 'bare' : values.root ? 'before' : 'after'} ${db.split(':')[0]}: server CPU ${cpu.toFixed(2)} ms/req, ${Math.round(r.requests.average)} req/s p50 ${r.latency.p50} p99 ${r.latency.p99} non2xx ${r.non2xx} errors ${r.errors}`,
)
const exited = new Promise((resolve) => child.once('exit', resolve))
child.kill('SIGTERM')
await exited
