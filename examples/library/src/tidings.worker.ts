// The dedicated worker that owns the database (wa-sqlite on OPFS) and runs the sync client.
import { hostWorker } from '@tidings/client/browser/worker'
import { schema } from './schema.ts'

hostWorker({ schema })
