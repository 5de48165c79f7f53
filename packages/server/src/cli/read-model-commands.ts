import { Projector } from '../read-model/projector.js'
import { rebuildReadModel } from '../read-model/rebuild.js'
import { loadSchemaFile, type ReadModelSchema, SchemaFileError } from '../read-model/schema-file.js'
import { openBackend } from '../store/open.js'

export const READ_MODEL_USAGE = `  tidings read-model rebuild [--db URL] [--space ID] [--schema FILE] [--quiet]`

export const READ_MODEL_HELP = `The read model (on by default; serve --no-read-model turns it off) keeps the current state of
     every entity of every space in SQL tables for an app's backend: read_model_entities
     (space, type, id, data, deleted), read_model_registers (one row per attribute), and with
     --schema FILE (the app's defineSchema as JSON, or a JS module exporting it) one typed table
     per type (Postgres: schema tidings_app; SQLite: tables tidings_app_<type>).
read-model rebuild forgets the read model (of --space ID, or of every space) and projects it
     again from the log, printing progress to stderr.`

/** Reads `--schema FILE` for the read model, turning a bad file into a usage-style error. */
export const readModelSchema = async (
  file: string | undefined,
  fail: (message: string) => Error,
): Promise<ReadModelSchema | undefined> => {
  if (file === undefined) return undefined
  try {
    return await loadSchemaFile(file)
  } catch (err) {
    if (err instanceof SchemaFileError) throw fail(`--schema: ${err.message}`)
    throw err
  }
}

/** `tidings read-model rebuild`: progress on `err` about once a second, a summary on `out`. */
export const rebuildCommand = async (input: {
  db: string
  space?: string | undefined
  schema?: ReadModelSchema | undefined
  quiet: boolean
  out: (text: string) => void
  err: (text: string) => void
}): Promise<void> => {
  const backend = await openBackend(input.db)
  try {
    const projector = new Projector({
      db: backend.db,
      family: backend.family,
      schema: input.schema,
      pollMs: 0,
    })
    await projector.typed?.ensure(backend.db)
    const started = Date.now()
    let last = 0
    const result = await rebuildReadModel({
      db: backend.db,
      family: backend.family,
      projector,
      ...(input.space !== undefined && { space: input.space }),
      onProgress: (p) => {
        const done = p.bundles === p.of
        if (input.quiet || (!done && Date.now() - last < 1_000)) return
        last = Date.now()
        input.err(
          `read-model: space ${p.spaceIndex + 1}/${p.spaces} (${p.space}): ${p.bundles}/${p.of} bundles`,
        )
      },
    })
    input.out(
      `rebuilt the read model of ${result.spaces} space(s) from ${result.bundles} bundles in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
  } finally {
    await backend.db.destroy()
  }
}
