import { newId } from '@tidings/protocol'
import { describe, expect, it } from 'vitest'
import { startServer } from './server.js'
import { TestClient } from './testing/fixtures.js'

describe('serve with a compaction schedule', () => {
  it('compacts every space on its schedule, and stops with the server', async () => {
    const server = await startServer({
      db: 'memory',
      port: 0,
      logger: false,
      compaction: { everyMs: 10, olderThanMs: 0 },
    })
    try {
      const user = await server.addUser(`sched-${newId()}`)
      const device = new TestClient()
      const entity = newId()
      for (const value of ['a', 'b'])
        await server.store.push({
          stream: user.id,
          bundles: [device.bundle({ events: [device.event({ entity, value })] })],
          now: Date.now(),
        })
      // Waits for a run that saw both bundles (runs before the pushes find nothing to drop).
      for (;;) {
        const size = await server.store.streamSize(user.id)
        if (size.events === 1) break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect((await server.store.horizons([user.id])).size).toBe(1)
    } finally {
      await server.close()
    }
  })
})
