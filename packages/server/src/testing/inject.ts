import { ROUTES } from '@tidings/protocol'
import type { FastifyInstance } from 'fastify'

export interface Answer<T = unknown> {
  status: number
  body: T
}

/** Calls the app in-process (no socket) as one bearer token. */
export const injector = (app: FastifyInstance, token: string | null) => {
  const headers = token === null ? {} : { authorization: `Bearer ${token}` }
  const call = async <T>(
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
  ): Promise<Answer<T>> => {
    const res = await app.inject({
      method,
      url,
      headers,
      ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
    })
    return { status: res.statusCode, body: res.json() as T }
  }
  return {
    sync: <T = SyncAnswer>(body: unknown) => call<T>('POST', ROUTES.sync, body),
    pull: <T = PullAnswer>(query = '') => call<T>('GET', `${ROUTES.bundles}${query}`),
    ids: () => call<{ ids: string[] }>('GET', ROUTES.bundleIds),
    /** `GET /v1/bundle-ids` with a query (`?space=`). */
    idsOf: (query: string) => call<{ ids: string[] }>('GET', `${ROUTES.bundleIds}${query}`),
    get: <T = { bundles: Array<{ id: string }> }>(ids: unknown) =>
      call<T>('POST', ROUTES.getBundles, { ids }),
  }
}

export interface SyncAnswer {
  hlc: string
  cursor: string
  accepted: string[]
  bundles: Array<{ id: string; client: string; events: unknown[] }>
  more: boolean
}

export interface PullAnswer {
  bundles: Array<{ id: string; client: string; events: unknown[] }>
  cursor: string
  more: boolean
}

export interface ErrorAnswer {
  error: { code: string; message: string; details?: unknown }
}
