import { newId, TidingsError } from '@tidings/protocol'
import type { Request, Retry } from './rpc.js'

type CallRequest = Extract<Request, { kind: 'call' }>
type Reader = { get?: (type: string, id: string) => Promise<unknown> }

/**
 * Prepares a write for a possible second attempt before its first is sent: a create without an
 * id gets one made here, so that a retry names the same entity (ids are client-made UUIDv7s).
 */
export function withOwnId(request: CallRequest): CallRequest {
  if (request.method !== 'create') return request
  const [type, fields] = request.args
  if (!isRecord(fields) || fields.id !== undefined) return request
  const args = [type, { ...fields, id: newId() }, ...request.args.slice(2)]
  return { ...request, args, ownId: true }
}

/** How to run `request` again after a hand-over so that it applies at most once. */
export function retryOf(request: CallRequest): Retry {
  if (request.method === 'create') return request.ownId ? 'own-id' : 'given-id'
  return 'again'
}

/**
 * Whether a write sent again after a hand-over was already applied by its first attempt, in
 * which case it must not run twice: a create whose id exists (answered with that entity), an
 * update whose every field already holds its value, a delete of an entity already gone. A
 * create with a caller-chosen id that exists is ambiguous (the caller's or someone else's), so
 * it fails with `unavailable` and says how to find out.
 */
export async function alreadyApplied(
  client: unknown,
  request: CallRequest,
): Promise<{ value: unknown } | null> {
  const get = (client as Reader).get
  if (!get) return null
  const read = (type: unknown, id: unknown) =>
    typeof type === 'string' && typeof id === 'string' ? get.call(client, type, id) : null
  const [type, second, third] = request.args
  switch (request.method) {
    case 'create': {
      const id = isRecord(second) ? second.id : undefined
      const existing = await read(type, id)
      if (!existing) return null
      if (request.retry === 'own-id') return { value: existing }
      throw new TidingsError(
        'unavailable',
        `the tab that owned the database went away during this create, and ${String(type)} ` +
          `${String(id)} now exists: it may be this create's; get() it to find out`,
        { details: { type, id } },
      )
    }
    case 'update': {
      const current = await read(type, second)
      if (!isRecord(current) || !isRecord(third)) return null
      const same = Object.entries(third).every(
        ([key, value]) => JSON.stringify(current[key] ?? null) === JSON.stringify(value ?? null),
      )
      return same ? { value: current } : null
    }
    case 'delete':
      return (await read(type, second)) === null ? { value: null } : null
    // Whether the first attempt undid (or redid) is unknowable here, and a second one would go
    // one step too far: refused, as at most once demands.
    case 'undo':
    case 'redo':
      throw new TidingsError(
        'unavailable',
        `the tab that owned the database went away during this ${request.method}: it may have ` +
          'happened; check undoState() before trying again',
        { details: { handOver: true } },
      )
    default:
      return null
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
