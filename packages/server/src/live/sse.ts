import { messageSchemas, type Poke, parseWire } from '@tidings/protocol'

const pokeSchema = messageSchemas().poke

/** The response headers of a `text/event-stream` that proxies must not buffer or cache. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const

/** One poke as an SSE message: `data: {"cursor":"…"}` and a blank line. */
export const pokeFrame = (cursor: string): string => {
  const poke: Poke = parseWire(pokeSchema, { cursor }, 'poke')
  return `data: ${JSON.stringify(poke)}\n\n`
}

/** A comment line: clients ignore it, but it keeps proxies and dead-peer detection awake. */
export const commentFrame = (text: string): string => `: ${text.replace(/[\r\n]/g, ' ')}\n\n`
