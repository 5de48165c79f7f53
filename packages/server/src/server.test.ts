import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROUTES } from '@tidings/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from './server.js'
import { type TestDatabase, tempSqlite } from './testing/backends.js'
import { TestClient } from './testing/fixtures.js'

describe('startServer', () => {
  it('listens on a free port, adds users, and stops listening on close', async () => {
    const server = await startServer({ db: 'memory', port: 0 })
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const { token, name } = await server.addUser('alice')
    expect(name).toBe('alice')
    const ids = await fetch(`${server.url}${ROUTES.bundleIds}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(await ids.json()).toEqual({ ids: [] })
    await server.close()
    await expect(fetch(`${server.url}${ROUTES.health}`)).rejects.toThrow()
  })

  describe('demo mode with a static app', () => {
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tidings-static-'))
      await writeFile(join(dir, 'index.html'), '<!doctype html><title>library</title>')
      await writeFile(join(dir, 'app.js'), 'console.log(1)')
    })
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('serves the app at / (any page path falls back to index.html) and the demo token', async () => {
      const server = await startServer({ db: 'memory', port: 0, demo: true, static: dir })
      try {
        expect(await (await fetch(`${server.url}/`)).text()).toContain('<title>library</title>')
        expect(await (await fetch(`${server.url}/documents/42`)).text()).toContain(
          '<title>library</title>',
        )
        expect(await (await fetch(`${server.url}/app.js`)).text()).toBe('console.log(1)')
        const config = (await (await fetch(`${server.url}/config.json`)).json()) as {
          token: string
        }
        expect(config).toEqual({ token: 'demo-token', user: 'demo', users: ['demo', 'friend'] })
        // A second demo user, so two people on one machine can share a library.
        const friend = await fetch(`${server.url}/config.json?user=friend`)
        expect(await friend.json()).toMatchObject({ token: 'friend-token', user: 'friend' })
        const nobody = await fetch(`${server.url}/config.json?user=mallory`)
        expect(nobody.status).toBe(404)
        expect(await nobody.json()).toMatchObject({ error: { code: 'not_found' } })
        const friendIds = await fetch(`${server.url}${ROUTES.bundleIds}`, {
          headers: { authorization: 'Bearer friend-token' },
        })
        expect(friendIds.status).toBe(200)
        const ids = await fetch(`${server.url}${ROUTES.bundleIds}`, {
          headers: { authorization: `Bearer ${config.token}` },
        })
        expect(ids.status).toBe(200)
        const missing = await fetch(`${server.url}/v1/nope`)
        expect(missing.status).toBe(404)
        expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } })
      } finally {
        await server.close()
      }
    })
  })

  describe('graceful shutdown', () => {
    let database: TestDatabase
    beforeAll(async () => {
      database = await tempSqlite()
    })
    afterAll(async () => {
      await database?.dispose()
    })

    it('finishes a request in flight before closing the database', async () => {
      const server = await startServer({ db: database.url, port: 0 })
      const { token } = await server.addUser('alice')
      const device = new TestClient()
      const bundle = device.bundle()
      const body = JSON.stringify(device.syncBody([bundle]))
      const url = new URL(`${server.url}${ROUTES.sync}`)
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          url,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            let text = ''
            res.on('data', (chunk: Buffer) => {
              text += chunk.toString()
            })
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
          },
        )
        req.on('error', reject)
        req.write(body.slice(0, 10))
        // The request has started: close the server, then send the rest of the body.
        setTimeout(() => {
          closing = server.close()
          setTimeout(() => req.end(body.slice(10)), 50)
        }, 100)
      })
      let closing: Promise<void> | undefined
      const res = await answer
      await closing
      expect(res.status).toBe(200)
      expect(JSON.parse(res.text)).toMatchObject({ accepted: [bundle.id] })
      const again = await startServer({ db: database.url, port: 0 })
      try {
        const ids = await fetch(`${again.url}${ROUTES.bundleIds}`, {
          headers: { authorization: `Bearer ${token}` },
        })
        expect(await ids.json()).toEqual({ ids: [bundle.id] })
      } finally {
        await again.close()
      }
    })
  })
})
