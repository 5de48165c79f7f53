import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { internals } from '../test/fixtures.js'
import { type RunningServer, serverClient, startBackend } from '../test/server.js'

const child = fileURLToPath(new URL('../test/crash-child.ts', import.meta.url))
const root = fileURLToPath(new URL('../../../..', import.meta.url))

/**
 * Runs the crash child to its death; resolves with the signal that ended it. Asynchronous on
 * purpose: the server under test runs in this process and must keep answering.
 */
const crash = (args: string[]): Promise<NodeJS.Signals | null> =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@tidings/source', child, ...args],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let output = ''
    proc.stdout.on('data', (d) => (output += d))
    proc.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => proc.kill('SIGTERM'), 60_000)
    proc.on('error', reject)
    proc.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal === 'SIGKILL') resolve(signal)
      else reject(new Error(`child did not die as planned (exit ${code}, ${signal}): ${output}`))
    })
  })

const eventCount = (client: Parameters<typeof internals>[0]) =>
  internals(client).store.sql.one<{ n: number }>('SELECT count(*) AS n FROM events')!.n

describe('crash safety (a killed client process loses and duplicates nothing)', () => {
  let server: RunningServer
  let dir: string
  beforeAll(async () => {
    server = (await startBackend('sqlite')).server
    dir = mkdtempSync(join(tmpdir(), 'tidings-crash-'))
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('(a) dies after the server stored the bundles but before the client saw the answer', async () => {
    const user = await server.addUser(`crash-a-${Date.now()}`)
    const path = join(dir, 'a.db')
    expect(await crash([path, server.url, user.token, 'push', '5'])).toBe('SIGKILL')

    const restarted = await serverClient(server, user.token, { path })
    expect(restarted.status.pending).toBe(5) // the acknowledgement never arrived
    expect(await restarted.sync()).toEqual({ pushed: 5, pulled: 0 }) // idempotent re-push
    const other = await serverClient(server, user.token)
    expect(await other.sync()).toEqual({ pushed: 0, pulled: 5 })
    expect(await other.fetch('document')).toHaveLength(5)
    expect(eventCount(other)).toBe(10)
    expect(internals(other).store.dump()).toEqual(internals(restarted).store.dump())
    expect(await other.verify()).toMatchObject({ missingLocally: 0, missingOnServer: 0 })
    await restarted.close()
    await other.close()
  })

  it('(b) dies in the middle of applying a pulled page', async () => {
    const user = await server.addUser(`crash-b-${Date.now()}`)
    const writer = await serverClient(server, user.token)
    for (let i = 0; i < 30; i++) await writer.create('document', { author: 'w', title: `doc ${i}` })
    await writer.sync()
    const path = join(dir, 'b.db')
    expect(await crash([path, server.url, user.token, 'apply', '12'])).toBe('SIGKILL')

    const restarted = await serverClient(server, user.token, { path })
    // The page, its cursor and its events were one transaction: nothing of it survived.
    expect(await restarted.fetch('document')).toHaveLength(0)
    expect(internals(restarted).store.getState('cursor') ?? null).toBeNull()
    expect(await restarted.sync()).toEqual({ pushed: 0, pulled: 30 })
    expect(await restarted.fetch('document')).toHaveLength(30)
    expect(eventCount(restarted)).toBe(60)
    expect(internals(restarted).store.dump()).toEqual(internals(writer).store.dump())
    await writer.close()
    await restarted.close()
  })
})
