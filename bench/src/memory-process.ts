/**
 * Child-process entry for the memory benchmark: fills a database with `docs` documents and reads
 * them all back, then prints its own peak resident set. argv: mode (`tidings`|`raw`), docs, file.
 */
import { newId } from '@tidings/protocol'
import { openRaw, openRawDocs, rawInsert, SELECT_ALL_DOCS } from './raw-sqlite.js'
import { createDocs, loadTidings } from './tidings.js'
import { docFields, makeEvents } from './workload.js'

const [mode, count, file] = process.argv.slice(2)
const docs = Number(count)
const BATCH = 10_000

const main = async (): Promise<number> => {
  if (mode === 'raw') {
    // The same events and a typed table, inserted and read with bare statements.
    const db = openRaw(file as string)
    for (let first = 0; first < docs; first += BATCH)
      rawInsert(db, makeEvents(Math.min(BATCH, docs - first)), true)
    db.close()
    const table = openRawDocs(
      `${file}.docs`,
      Array.from({ length: docs }, (_, i) => ({ id: newId(), ...docFields(i) })),
    )
    const rows = table.prepare(SELECT_ALL_DOCS).raw().all(0).length
    table.close()
    return rows
  }
  const tidings = await loadTidings()
  const client = await tidings.open(file as string)
  for (let first = 0; first < docs; first += BATCH) {
    await createDocs(
      client,
      Array.from({ length: Math.min(BATCH, docs - first) }, (_, i) => docFields(first + i)),
    )
  }
  const rows = (await client.fetch('document', {})).length
  await client.close()
  return rows
}

main()
  .then(
    (rows) => {
      const peakMiB = process.resourceUsage().maxRSS / 1024
      process.stdout.write(`${JSON.stringify({ rows, peakMiB })}\n`)
    },
    (error: unknown) => {
      process.stdout.write(
        `${JSON.stringify({ error: error instanceof Error ? error.stack : String(error) })}\n`,
      )
      process.exitCode = 1
    },
  )
  // The IPC channel every bench script gets (child.ts) would keep this process alive.
  .finally(() => process.disconnect?.())
