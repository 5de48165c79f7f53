import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { newId, ROUTES, SYNC_PROTOCOL } from '@tidings/protocol'
import { type RunningServer, startServer } from '@tidings/server'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { CHROMIUM_FLAGS } from './chromium.js'
import { CHROMIUM, describeBrowser } from './harness.js'

/**
 * The usual deployment: the app on one origin (a CDN), the sync server on another (an API host).
 * A real Chromium page on http://localhost:<port> calls the server on http://127.0.0.1:<port>.
 */
describeBrowser('CORS from a page on another origin, in Chromium', () => {
  let browser: Browser
  let page: Server
  let pageOrigin: string
  const servers: RunningServer[] = []

  beforeAll(async () => {
    page = createServer((_, res) => res.end('<!doctype html><title>app</title>'))
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve))
    pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
  })
  afterAll(async () => {
    await browser?.close()
    for (const s of servers) await s.close()
    page?.close()
  })

  /** From the page: a sync, and the first bytes of the live stream, both with the token. */
  const callFrom = async (server: RunningServer, token: string) => {
    const tab = await browser.newPage()
    try {
      await tab.goto(`${pageOrigin}/`)
      return await tab.evaluate(
        async ({ url, token, sync, live, body }) => {
          const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
          try {
            const synced = await fetch(url + sync, { method: 'POST', headers, body })
            const stream = await fetch(url + live, {
              headers: { authorization: headers.authorization },
            })
            await stream.body?.cancel()
            return { sync: synced.status, live: stream.status }
          } catch (error) {
            return { error: String(error) }
          }
        },
        {
          url: server.url,
          token,
          sync: ROUTES.sync,
          live: ROUTES.live,
          body: JSON.stringify({
            protocol: SYNC_PROTOCOL,
            client: newId(),
            hlc: `${new Date().toISOString()}-0000-${newId()}`,
            cursor: null,
            bundles: [],
          }),
        },
      )
    } finally {
      await tab.close()
    }
  }

  it('syncs and opens the live stream when the server allows the page’s origin', async () => {
    const server = await startServer({ db: 'memory', port: 0, logger: false, cors: [pageOrigin] })
    servers.push(server)
    const user = await server.addUser('ada')
    expect(await callFrom(server, user.token)).toEqual({ sync: 200, live: 200 })
  })

  it('is blocked by the browser when the server does not allow it (the default)', async () => {
    const server = await startServer({ db: 'memory', port: 0, logger: false })
    servers.push(server)
    const user = await server.addUser('ada')
    expect(await callFrom(server, user.token)).toEqual({
      error: expect.stringContaining('Failed to fetch'),
    })
  })
})
