import { describe, expect, it, vi } from 'vitest'
import { CredentialWatch, type WatchedStream } from './credential-watch.js'

const stream = (credential: string) => {
  const s = {
    credential,
    ended: false,
    end: () => {
      s.ended = true
    },
  }
  return s satisfies WatchedStream
}

describe('CredentialWatch', () => {
  it('ends the streams whose credential no longer authenticates, asking once for all', async () => {
    const streams = [stream('a'), stream('a'), stream('b')]
    const stillValid = vi.fn(async () => new Set(['b']))
    const watch = new CredentialWatch({
      open: () => streams,
      stillValid,
      intervalMs: 3_600_000,
      log: () => undefined,
    })
    await watch.check()
    watch.stop()
    expect(streams.map((s) => s.ended)).toEqual([true, true, false])
    expect(stillValid).toHaveBeenCalledTimes(1)
    expect(stillValid).toHaveBeenCalledWith(['a', 'b'])
  })

  it('keeps streams open and logs when the check fails, and ends them once it succeeds', async () => {
    const streams = [stream('a')]
    const warn = vi.fn()
    let down = true
    const watch = new CredentialWatch({
      open: () => streams,
      stillValid: async () => {
        if (down) throw new Error('database unavailable')
        return new Set<string>()
      },
      intervalMs: 3_600_000,
      log: () => ({ warn, error: vi.fn() }),
    })
    await watch.check()
    expect(streams[0]!.ended).toBe(false)
    expect(warn).toHaveBeenCalledTimes(1)
    down = false
    await watch.check()
    watch.stop()
    expect(streams[0]!.ended).toBe(true)
  })
})
