// The worker owns the database (wa-sqlite on OPFS, else IndexedDB) and runs the sync client.
import { hostWorker } from '@tidings/client/browser/worker'
import { schema } from './schema.ts'

hostWorker({ schema })
