import {
  type Bundle,
  formatHlc,
  isTidingsError,
  jsonBytes,
  type Limits,
  parseHlc,
  ROUTES,
  type SyncResponse,
} from '@tidings/protocol'
import type { Changes, Store } from '../store/store.js'
import type { Answer, Transport } from './transport.js'
import type { SyncResult, VerifyResult } from './types.js'

/** Extra correction after a drift refusal, so the retried timestamp is clearly in range. */
const DRIFT_MARGIN_MS = 1_000

/** Refusals of the pushed bundles themselves, after which pulling still makes sense. */
const refusesBundles = (error: unknown): boolean =>
  isTidingsError(error) &&
  ['bad_request', 'too_large', 'conflict', 'clock_drift'].includes(error.code)

/** How far ahead the server found `hlc`, when it refused exactly that timestamp as drift. */
const driftOf = (error: unknown, hlc: string): number | null => {
  if (!isTidingsError(error, 'clock_drift')) return null
  const details = error.details as { hlc?: unknown; aheadMs?: unknown } | undefined
  return details?.hlc === hlc && typeof details.aheadMs === 'number' ? details.aheadMs : null
}

/** Room kept under `maxBodyBytes` for the request envelope. */
const ENVELOPE_BYTES = 4_096
/** A clock offset estimate within this of zero (plus half the round trip) is treated as zero. */
const OFFSET_SLACK_MS = 50

/**
 * The sync state machine of one client: push the outbox and pull the stream in `POST /v1/sync`
 * rounds until both are done. One sync runs at a time; concurrent callers share it.
 */
export class SyncEngine {
  private running: Promise<SyncResult> | null = null
  private queued: Promise<SyncResult> | null = null

  constructor(
    private readonly store: Store,
    private readonly transport: Transport,
    private readonly limits: Limits,
    private readonly changed: (changes: Changes) => void,
  ) {}

  /**
   * Runs a sync. A call while one is in flight gets one more sync after it (shared by all such
   * callers), so a sync requested after a local write always carries that write.
   */
  sync(): Promise<SyncResult> {
    if (this.running) {
      this.queued ??= this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = null
          return this.sync()
        })
      return this.queued
    }
    this.running = this.rounds().finally(() => {
      this.running = null
    })
    return this.running
  }

  /** Resolves when no sync is in flight or queued (for `close`). */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)?.catch(() => undefined)
  }

  private async rounds(): Promise<SyncResult> {
    const result: SyncResult = { pushed: 0, pulled: 0 }
    let after = 0
    for (;;) {
      const chunk = this.nextChunk(after)
      after = chunk.lastSeq
      let more: boolean
      try {
        more = await this.round(chunk.bundles, result)
      } catch (error) {
        // A refused push (say, bundles stamped by a clock that ran ahead) must not stop this
        // device from receiving: pull what there is, then report the refusal.
        if (chunk.bundles.length > 0 && refusesBundles(error)) while (await this.round([], result));
        throw error
      }
      if (!chunk.more && !more) return result
    }
  }

  /**
   * One `POST /v1/sync`: pushes `bundles`, applies the page it gets back together with the new
   * cursor and the acknowledgements (one SQLite transaction), and says whether the server has
   * more. The request carries the corrected physical time, not a logical HLC, so a device whose
   * clock ran ahead can still be told the time; when the server refuses that very timestamp as
   * drift, the offset is corrected from its answer and the round retried once.
   */
  private async round(bundles: Bundle[], result: SyncResult, retried = false): Promise<boolean> {
    const clock = this.store.clock
    const hlc = formatHlc({ ms: clock.physical(), counter: 0, node: clock.node })
    const request = {
      client: clock.node,
      hlc,
      cursor: this.store.getState('cursor') ?? null,
      bundles,
    }
    let answer: Answer<SyncResponse>
    try {
      answer = await this.transport.post(ROUTES.sync, request, 'syncResponse')
    } catch (error) {
      const ahead = driftOf(error, hlc)
      if (retried || ahead === null) throw error
      clock.setOffset(clock.offsetMs - ahead - DRIFT_MARGIN_MS)
      return this.round(bundles, result, true)
    }
    const res: SyncResponse = answer.body
    this.learnOffset(res.hlc, answer.sentAt, answer.receivedAt)
    const changes = this.store.applyRemote(res.bundles, () => {
      result.pushed += this.store.acknowledge(res.accepted)
      this.store.setState('cursor', res.cursor)
      this.store.setState('offset_ms', String(clock.offsetMs))
    })
    result.pulled += changes.applied
    this.changed(changes)
    return res.more
  }

  /**
   * The next outbox bundles after position `after` that fit in one request (count and body
   * size). A bundle is never split: it is one local transaction.
   */
  private nextChunk(after: number): { bundles: Bundle[]; lastSeq: number; more: boolean } {
    const budget = this.limits.maxBodyBytes - ENVELOPE_BYTES
    const max = this.limits.maxBundlesPerRequest
    const rows = this.store.outbox(after, max + 1)
    const bundles: Bundle[] = []
    let bytes = 0
    let lastSeq = after
    for (const row of rows) {
      if (bundles.length === max) break
      const bundle = this.store.bundle(row.bundle)
      if (!bundle) continue
      const size = jsonBytes(bundle) + 1
      if (bundles.length > 0 && bytes + size > budget) break
      bundles.push(bundle)
      bytes += size
      lastSeq = row.seq
    }
    return { bundles, lastSeq, more: rows.some((r) => r.seq > lastSeq) }
  }

  /**
   * Learns the device clock's offset from the server's HLC, assuming the answer was stamped
   * halfway through the round trip; differences within the round-trip noise count as none.
   */
  private learnOffset(serverHlc: string, sentAt: number, receivedAt: number): void {
    const clock = this.store.clock
    const estimate = parseHlc(serverHlc).ms - (sentAt + receivedAt) / 2
    const noise = (receivedAt - sentAt) / 2 + OFFSET_SLACK_MS
    clock.setOffset(Math.abs(estimate) <= noise ? 0 : Math.round(estimate))
    clock.receive(serverHlc)
  }

  /**
   * Compares bundle ids with the server (the prototype's `verifyBundlesAndPullMissing`):
   * fetches and applies what this replica lacks, queues what the server lacks, then syncs.
   */
  async verify(): Promise<VerifyResult> {
    const { body } = await this.transport.get(ROUTES.bundleIds, 'bundleIdsResponse')
    const remote = new Set(body.ids)
    const local = new Set(this.store.bundleIds())
    const missingLocally = body.ids.filter((id) => !local.has(id))
    // Only this client's own bundles are pushed again: the server takes a bundle from its author.
    const missingOnServer = this.store
      .bundleIds(this.store.clientId)
      .filter((id) => !remote.has(id))
    let pulled = 0
    for (let i = 0; i < missingLocally.length; i += this.limits.maxIdsPerRequest) {
      const ids = missingLocally.slice(i, i + this.limits.maxIdsPerRequest)
      const answer = await this.transport.post(ROUTES.getBundles, { ids }, 'getBundlesResponse')
      const changes = this.store.applyRemote(answer.body.bundles)
      pulled += changes.applied
      this.changed(changes)
    }
    this.store.requeue(missingOnServer)
    const { pushed } = await this.sync()
    return {
      missingLocally: missingLocally.length,
      missingOnServer: missingOnServer.length,
      pulled,
      pushed,
    }
  }
}
