import {
  type Bundle,
  jsonBytes,
  type Limits,
  parseHlc,
  ROUTES,
  type SyncResponse,
} from '@tidings/protocol'
import type { Changes, Store } from '../store/store.js'
import type { Transport } from './transport.js'
import type { SyncResult, VerifyResult } from './types.js'

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

  constructor(
    private readonly store: Store,
    private readonly transport: Transport,
    private readonly limits: Limits,
    private readonly changed: (changes: Changes) => void,
  ) {}

  sync(): Promise<SyncResult> {
    if (!this.running) {
      this.running = this.rounds().finally(() => {
        this.running = null
      })
    }
    return this.running
  }

  /** Resolves when no sync is in flight (for `close`). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined)
  }

  private async rounds(): Promise<SyncResult> {
    const result: SyncResult = { pushed: 0, pulled: 0 }
    let after = 0
    for (;;) {
      const chunk = this.nextChunk(after)
      after = chunk.lastSeq
      const cursor = this.store.getState('cursor') ?? null
      const request = {
        client: this.store.clientId,
        hlc: this.store.clock.send(),
        cursor,
        bundles: chunk.bundles,
      }
      const answer = await this.transport.post(ROUTES.sync, request, 'syncResponse')
      this.learnOffset(answer.body.hlc, answer.sentAt, answer.receivedAt)
      const res: SyncResponse = answer.body
      // Pulled events, the new cursor and the acknowledgements commit together or not at all.
      const changes = this.store.applyRemote(res.bundles, () => {
        result.pushed += this.store.acknowledge(res.accepted)
        this.store.setState('cursor', res.cursor)
        this.store.setState('offset_ms', String(this.store.clock.offsetMs))
      })
      result.pulled += changes.applied
      this.changed(changes)
      if (!chunk.more && !res.more) return result
    }
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
