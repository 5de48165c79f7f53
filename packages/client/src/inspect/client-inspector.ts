/**
 * The inspector of a client running in this process, wired to its store, sync and error log;
 * its "reset this device" learns the spaces again after the wipe. No token ever appears in it.
 */
import type { Store } from '../store/store.js'
import type { RejectedBundles } from '../sync/rejected.js'
import { tokenSourceOf } from '../sync/token-source.js'
import type { ServerOptions } from '../sync/types.js'
import { type InspectorSources, LocalInspector } from './inspector.js'
import { type ResetHost, resetDevice } from './reset-device.js'
import type { ResetOptions, ResetResult } from './types.js'

export interface ClientInspectorParts
  extends Omit<InspectorSources, 'reset' | 'secrets'>,
    Omit<ResetHost, 'store' | 'refused'> {
  store: Store
  refused: RejectedBundles
  server: ServerOptions | undefined
  /** Throws once the client is closed. */
  open: () => void
  /** Asks the server which spaces this user is in. */
  learnSpaces: () => Promise<unknown>
}

export const clientInspector = (parts: ClientInspectorParts): LocalInspector =>
  new LocalInspector({
    store: parts.store,
    refused: parts.refused,
    status: parts.status,
    liveQueries: parts.liveQueries,
    errors: parts.errors,
    reset: (options) => resetClient(parts, options),
    secrets: () => secretsOf(parts.server),
  })

const resetClient = async (
  parts: ClientInspectorParts,
  options: ResetOptions,
): Promise<ResetResult> => {
  parts.open()
  const { store, refused, sync, verify, busy, idle, wiped } = parts
  const result = await resetDevice({ store, refused, sync, verify, busy, idle, wiped }, options)
  // The wipe forgot the private space's id: learn it again (the next sync will, if offline).
  await parts.learnSpaces().catch(() => undefined)
  return result
}

/** The token in use, which the inspector's output must never contain. */
const secretsOf = (server: ServerOptions | undefined): Array<string | undefined> =>
  server
    ? [typeof server.token === 'string' ? server.token : undefined, tokenSourceOf(server).current]
    : []
