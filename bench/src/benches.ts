import { browserLive } from './browser-live.js'
import { compaction } from './compaction.js'
import type { Bench } from './context.js'
import { fetchBench } from './fetch.js'
import { historyBench } from './history.js'
import { initialSync } from './initial-sync.js'
import { live } from './live.js'
import { localWrite } from './local-write.js'
import { memory } from './memory.js'
import { peers } from './peers.js'
import { readModel } from './read-model.js'
import { remoteApply } from './remote-apply.js'
import { serverThroughput } from './server-throughput.js'
import { spaces } from './spaces.js'
import { syncVsHistory } from './sync-vs-history.js'
import { tabs } from './tabs.js'

/**
 * Every benchmark, in the order a run takes them: the ones seeding a million events last, so a
 * run stopped early (RESULTS.md is written after each benchmark) keeps the most rows.
 */
export const BENCHES: readonly Bench[] = [
  localWrite,
  remoteApply,
  fetchBench,
  historyBench,
  peers,
  memory,
  serverThroughput,
  readModel,
  live,
  tabs,
  browserLive,
  spaces,
  syncVsHistory,
  initialSync,
  compaction,
]
