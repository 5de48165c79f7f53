import { ROUTES } from '@tidings/protocol'
import { startServer } from '@tidings/server'
import { describe, expect, it } from 'vitest'
import { serverClient } from '../test/server.js'

describe('a rate-limited client', () => {
  it('meets 429 with Retry-After past the server’s limit, waits, and its sync still succeeds', async () => {
    const server = await startServer({
      db: 'memory',
      port: 0,
      logger: false,
      rateLimit: { max: 2, windowMs: 1_000 },
    })
    try {
      const user = await server.addUser('busy')
      const answers: Array<{ status: number; retryAfter: string | null }> = []
      const watching = (async (input: RequestInfo | URL, init?: RequestInit) => {
        const answer = await fetch(input, init)
        if (String(input).endsWith(ROUTES.sync))
          answers.push({ status: answer.status, retryAfter: answer.headers.get('retry-after') })
        return answer
      }) as typeof fetch
      const client = await serverClient(server, user.token, { server: { fetch: watching } })
      let pushed = 0
      // Syncs until one of them is held back (the window may turn over between requests).
      for (let i = 0; i < 10 && !answers.some((a) => a.status === 429); i++) {
        await client.create('document', { author: 'Ada', title: `write ${i}` })
        pushed += (await client.sync()).pushed
      }
      const held = answers.findIndex((a) => a.status === 429)
      expect(held).toBeGreaterThan(-1)
      expect(Number(answers[held]!.retryAfter)).toBeGreaterThan(0)
      // The transport waited as asked and tried again, within the same sync() call.
      expect(answers[held + 1]?.status).toBe(200)
      expect(client.status).toMatchObject({ state: 'idle', pending: 0, rejected: 0 })
      // Every answer acknowledged one write, but the first: a client's first request after it
      // opens pushes nothing and asks where the server has it (`resume`, a rolled-back device).
      expect(pushed).toBe(answers.filter((a) => a.status === 200).length - 1)
      await client.close()
    } finally {
      await server.close()
    }
  })
})
