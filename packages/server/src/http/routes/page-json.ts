import { wholeBundle } from '@tidings/protocol'
import type { FastifyReply } from 'fastify'
import type { Page } from '../../store/store.js'

/**
 * Sends `answer` as JSON with the page's bundles spliced in as the store's text
 * (`Page.bundlesJson`), so the events of a page are never parsed and serialised again. Typed
 * by the answer it completes: `T` is the wire response, `answer` is all of it but `bundles`
 * (and `parts`, which the page brings).
 */
export const sendWithPage = <T extends { bundles: unknown }>(
  reply: FastifyReply,
  answer: Omit<T, 'bundles'>,
  page: Page,
): FastifyReply => {
  const parts = page.parts ?? []
  const rest = JSON.stringify(parts.length > 0 ? { ...answer, parts } : answer)
  const bundles = page.bundlesJson ?? JSON.stringify(page.bundles.map(wholeBundle))
  const body = rest === '{}' ? `{"bundles":${bundles}}` : `{"bundles":${bundles},${rest.slice(1)}`
  // A Buffer: Fastify's content-length and the socket write then take no UTF-8 pass each over
  // a page of megabytes (the spliced text is a rope, flattened once here).
  return reply.type('application/json; charset=utf-8').send(Buffer.from(body, 'utf8'))
}
