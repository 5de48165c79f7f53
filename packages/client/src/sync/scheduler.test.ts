import { TidingsError } from '@tidings/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { HIDDEN_INTERVAL_MS, Scheduler } from './scheduler.js'

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

  it('keeps syncing under steady writes: a write never postpones a sync already due', async () => {
    vi.useFakeTimers()
    let runs = 0
    const scheduler = new Scheduler({
      run: async () => {
        runs += 1
      },
      pending: () => 1,
      rejected: () => 0,
      onError: () => {},
      server: { url: 'http://127.0.0.1:9', token: 't', intervalMs: 1_000, debounceMs: 50 },
    })
    scheduler.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(runs).toBe(1)
    // A write every 30 ms for 4 s: each would restart a 50 ms debounce, and before the fix
    // not one sync ran in those 4 s.
    for (let t = 0; t < 4_000; t += 30) {
      scheduler.localWrite()
      await vi.advanceTimersByTimeAsync(30)
    }
    // At most one sync per debounce window, at least one per two of them.
    expect(runs).toBeGreaterThan(1 + 4_000 / 100)
    expect(runs).toBeLessThanOrEqual(1 + 4_000 / 50 + 1)
    scheduler.dispose()
  })

  it('a write made while a sync runs is synced after it, not an interval later', async () => {
    vi.useFakeTimers()
    let runs = 0
    let writeDuringRun = true
    const scheduler = new Scheduler({
      run: async () => {
        runs += 1
        if (writeDuringRun) {
          writeDuringRun = false
          scheduler.localWrite()
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      },
      pending: () => 1,
      rejected: () => 0,
      onError: () => {},
      server: { url: 'http://127.0.0.1:9', token: 't', intervalMs: 60_000, debounceMs: 50 },
    })
    scheduler.start()
    await vi.advanceTimersByTimeAsync(300)
    expect(runs).toBe(2)
    scheduler.dispose()
  })

  it('while syncs fail, a new write retries within seconds, not after the whole backoff', async () => {
    vi.useFakeTimers()
    let runs = 0
    const scheduler = new Scheduler({
      run: async () => {
        runs += 1
        throw new TidingsError('unavailable', 'offline')
      },
      pending: () => 1,
      rejected: () => 0,
      onError: () => {},
      server: { url: 'http://127.0.0.1:9', token: 't', intervalMs: 30_000 },
    })
    scheduler.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(runs).toBe(1)
    expect(scheduler.status.state).toBe('offline')
    scheduler.localWrite()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(runs).toBe(2)
    scheduler.dispose()
  })

  it('wake() (the network is back) syncs at once, whatever the backoff', async () => {
    vi.useFakeTimers()
    let failing = true
    let runs = 0
    const scheduler = new Scheduler({
      run: async () => {
        runs += 1
        if (failing) throw new TidingsError('unavailable', 'offline')
      },
      pending: () => 1,
      rejected: () => 0,
      onError: () => {},
      server: { url: 'http://127.0.0.1:9', token: 't', intervalMs: 30_000 },
    })
    scheduler.start()
    await vi.advanceTimersByTimeAsync(0)
    failing = false
    scheduler.wake()
    await vi.advanceTimersByTimeAsync(0)
    expect(runs).toBe(2)
    expect(scheduler.status.state).toBe('idle')
    scheduler.dispose()
  })

  it('while the app is hidden it syncs every HIDDEN_INTERVAL_MS, not every interval; shown, at once', async () => {
    vi.useFakeTimers()
    let runs = 0
    const scheduler = new Scheduler({
      run: async () => {
        runs += 1
      },
      pending: () => 0,
      rejected: () => 0,
      onError: () => {},
      server: { url: 'http://127.0.0.1:9', token: 't', intervalMs: 5_000 },
    })
    scheduler.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(runs).toBe(1)
    scheduler.setVisible(false)
    // The sync already due runs; after it, the hidden period.
    await vi.advanceTimersByTimeAsync(5_000)
    expect(runs).toBe(2)
    await vi.advanceTimersByTimeAsync(HIDDEN_INTERVAL_MS - 1)
    expect(runs).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toBe(3)
    scheduler.setVisible(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(runs).toBe(4)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(runs).toBe(5)
    scheduler.dispose()
  })

  it('overlapping syncs: the status turns idle only when the last one ends', async () => {
    const ends: Array<() => void> = []
    const scheduler = new Scheduler({
      run: async () => {},
      pending: () => 0,
      rejected: () => 0,
      onError: () => {},
    })
    const work = () => new Promise<void>((resolve) => ends.push(resolve))
    const first = scheduler.track(work)
    const second = scheduler.track(work)
    expect(scheduler.status.state).toBe('syncing')
    ends[0]!()
    await first
    expect(scheduler.status.state).toBe('syncing')
    ends[1]!()
    await second
    expect(scheduler.status.state).toBe('idle')
  })

  describe('the network as the runtime reports it (online / offline events)', () => {
    /** A browser-like global: `navigator.onLine` and `online`/`offline` listeners. */
    const network = () => {
      const listeners = new Map<string, Set<() => void>>()
      const navigator = { onLine: true }
      vi.stubGlobal('navigator', navigator)
      vi.stubGlobal('addEventListener', (type: string, fn: () => void) => {
        const set = listeners.get(type) ?? new Set()
        set.add(fn)
        listeners.set(type, set)
      })
      vi.stubGlobal('removeEventListener', (type: string, fn: () => void) =>
        listeners.get(type)?.delete(fn),
      )
      const fire = (type: 'online' | 'offline') => {
        navigator.onLine = type === 'online'
        for (const fn of listeners.get(type) ?? []) fn()
      }
      return { fire, listeners }
    }

    afterEach(() => vi.unstubAllGlobals())

    it('shows offline the moment the network goes, with the reason, and syncs the moment it returns', async () => {
      vi.useFakeTimers()
      const net = network()
      let runs = 0
      const scheduler = new Scheduler({
        run: async () => {
          runs += 1
        },
        pending: () => 0,
        rejected: () => 0,
        onError: () => {},
        server: { url: 'http://127.0.0.1:9', token: 't', intervalMs: 30_000 },
      })
      scheduler.start()
      await vi.advanceTimersByTimeAsync(0)
      expect(scheduler.status.state).toBe('idle')
      net.fire('offline')
      expect(scheduler.status).toMatchObject({
        state: 'offline',
        error: { code: 'unavailable', message: 'this device has no network connection' },
      })
      // No request is tried while the runtime says there is no network.
      await vi.advanceTimersByTimeAsync(120_000)
      expect(runs).toBe(1)
      net.fire('online')
      await vi.advanceTimersByTimeAsync(0)
      expect(runs).toBe(2)
      expect(scheduler.status.state).toBe('idle')
      expect(scheduler.status.error).toBeUndefined()
      scheduler.dispose()
      expect(net.listeners.get('online')?.size).toBe(0)
      expect(net.listeners.get('offline')?.size).toBe(0)
    })

    it('does not flicker between syncing and offline while retries fail', async () => {
      vi.useFakeTimers()
      network()
      const states: string[] = []
      const scheduler = new Scheduler({
        run: async () => {
          throw new TidingsError('unavailable', 'cannot reach the server')
        },
        pending: () => 1,
        rejected: () => 0,
        onError: () => {},
        server: { url: 'http://127.0.0.1:9', token: 't', intervalMs: 1_000 },
      })
      scheduler.subscribe((status) => states.push(status.state))
      scheduler.start()
      await vi.advanceTimersByTimeAsync(60_000)
      scheduler.localWrite()
      await vi.advanceTimersByTimeAsync(60_000)
      // One syncing (the first attempt), then offline for good: retries keep it as it is.
      expect(states.slice(0, 2)).toEqual(['syncing', 'offline'])
      expect(states.slice(2).every((s) => s === 'offline')).toBe(true)
      expect(scheduler.status.error?.message).toBe('cannot reach the server')
      scheduler.dispose()
    })
  })
})
