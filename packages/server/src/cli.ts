#!/usr/bin/env node
import { runTidings } from './cli/main.js'

/** The `tidings` binary: runs the command, and for `serve` turns signals into a clean stop. */
const outcome = await runTidings(process.argv.slice(2), {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  env: process.env,
}).catch((err: unknown) => {
  // Not bad input but a failure (database unreachable, port taken): say what, not a stack.
  console.error(`tidings: ${err instanceof Error ? err.message : String(err)}`)
  return { code: 1, server: undefined }
})
process.exitCode = outcome.code
const { server } = outcome
if (server) {
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    console.error(`${signal}: finishing in-flight requests, then closing the database`)
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}
