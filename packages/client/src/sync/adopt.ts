import { isTidingsError, ROUTES, withParts } from '@tidings/protocol'
import { adoptStamps } from '../store/adopt.js'
import type { Changes, Store } from '../store/store.js'
import type { Transport } from './transport.js'

/**
 * The step before refusing a pushed bundle for good as `conflict`: when it is this device's own
 * bundle and the server holds the same writes stamped otherwise (a re-stamp the device lost by
 * rolling back, then re-stamped again: see `store/adopt.ts`), the device takes the server's
 * version, which every other replica has, and the bundle counts as pushed. Returns the changes
 * (the caller tells observers), or null when it is a conflict of another kind, to be refused.
 * Network trouble while asking throws: the sync fails and the next one meets the conflict again.
 */
export const adoptServerVersion = async (
  store: Store,
  transport: Transport,
  bundle: { id: string; client: string },
  error: unknown,
): Promise<Changes | null> => {
  if (!isTidingsError(error, 'conflict') || bundle.client !== store.clientId) return null
  const answer = await transport.post(ROUTES.getBundles, { ids: [bundle.id] }, 'getBundlesResponse')
  const server = withParts(answer.body.bundles, answer.body.parts).find((b) => b.id === bundle.id)
  const types = server ? adoptStamps(store, server) : null
  return types ? { types, applied: 0 } : null
}
