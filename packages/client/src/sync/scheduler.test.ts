import { TidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Scheduler } from './scheduler.js'

describe('scheduler', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('waits out a Retry-After longer than its own backoff, without reporting the refusal as an error', async () => {
    vi.useFakeTimers()
    const errors: unknown[] = []
    let runs = 0
    const scheduler = new Scheduler({
      run: async () => {
        runs += 1
        throw new TidingsError('rate_limited', 'slow down', { details: { retryAfterMs: 45_000 } })
      },
      pending: () => 1,
      rejected: () => 0,
      onError: (error) => errors.push(error),
      server: { url: 'http://127.0.0.1:9', token: 't', intervalMs: 10 },
    })
    scheduler.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(runs).toBe(1)
    expect(scheduler.status).toMatchObject({ state: 'error', error: { code: 'rate_limited' } })
    await vi.advanceTimersByTimeAsync(44_999)
    expect(runs).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toBe(2)
    expect(errors).toEqual([])
    scheduler.dispose()
  })

  it('publishes the refused count with the pending count', () => {
    let rejected = 0
    const scheduler = new Scheduler({
      run: async () => undefined,
      pending: () => 0,
      rejected: () => rejected,
      onError: () => {},
    })
    const seen: number[] = []
    scheduler.subscribe((status) => seen.push(status.rejected))
    rejected = 2
    scheduler.publish()
    scheduler.publish()
    expect(seen).toEqual([2])
  })
})
