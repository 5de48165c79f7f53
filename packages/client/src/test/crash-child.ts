/**
 * A client process that kills itself (SIGKILL: no cleanup, no finally) at a chosen point of a
 * sync, for the crash tests. Usage: crash-child.ts DB_PATH SERVER_URL TOKEN MODE [ARG]
 *   push:N      writes N documents (one transaction each), syncs, dies when the answer arrives
 *               (the server has stored the bundles; the client never sees the acknowledgement)
 *   apply:K     syncs and dies inside the apply transaction after the K-th pulled bundle
 */
import { openClient } from '../api/client.js'
import { openNodeDatabase } from '../node.js'
import { librarySchema } from './fixtures.js'

const [path, url, token, mode, arg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
]
const die = (): never => {
  process.kill(process.pid, 'SIGKILL')
  throw new Error('unreachable')
}

const count = Number(arg)
const client = await openClient({
  schema: librarySchema,
  database: openNodeDatabase(path),
  server: {
    url,
    token,
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      if (mode === 'push') {
        await response.clone().text() // the whole answer has arrived
        die()
      }
      return response
    },
  },
  hooks: {
    afterApplyBundle: (applied) => (mode === 'apply' && applied === count ? die() : undefined),
  },
})
if (mode === 'push') {
  for (let i = 0; i < count; i++)
    await client.create('document', { author: 'crash', title: `doc ${i}` })
}
await client.sync()
console.log('survived')
