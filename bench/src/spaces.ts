import path from 'node:path'
import { HybridClock, newId, ROUTES, routePath, SYNC_PROTOCOL } from '@tidings/protocol'
import { type ServerHandle, withServer } from './child.js'
import { type Bench, type BenchContext, makeRow } from './context.js'
import { ratioAtMost } from './goals.js'
import { twoKbBundle } from './load.js'
import { withTempDatabase } from './pg.js'
import type { Backend } from './seed.js'
import { interleave, time } from './stats.js'
import { type Cell, type Missing, missing, sampled } from './table.js'

/** Requests timed one after another per sample (ms per request is their mean): full, quick. */
const PER_SAMPLE = [40, 10] as const

/** POSTs or GETs JSON as `token`, throwing the server's answer on a refusal. */
const call = async <T>(url: string, token: string, body?: unknown): Promise<T> => {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text) as T
}

/** One device of one user, speaking protocol 3 over HTTP with the cursor it was last given. */
class Device {
  readonly id = newId()
  readonly clock = new HybridClock({ node: this.id })
  cursor: string | null = null
  /** Bytes of the last request body. */
  sent = 0

  constructor(
    readonly server: ServerHandle,
    readonly token: string,
  ) {}

  /** One sync pushing `bundles`; returns how many bundles the answer carried and `more`. */
  async sync(bundles: unknown[] = []): Promise<{ pulled: number; more: boolean }> {
    const body = JSON.stringify({
      protocol: SYNC_PROTOCOL,
      client: this.id,
      hlc: this.clock.send(),
      cursor: this.cursor,
      bundles,
    })
    const response = await fetch(`${this.server.url}${ROUTES.sync}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body,
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`sync answered ${response.status}: ${text.slice(0, 300)}`)
    const answer = JSON.parse(text) as { cursor: string; more: boolean; bundles: unknown[] }
    this.cursor = answer.cursor
    this.sent = body.length
    return { pulled: answer.bundles.length, more: answer.more }
  }

  /** A ~2 KB bundle of this device, into `space` (absent: the private space). */
  bundle(space?: string): unknown {
    return { ...twoKbBundle(this.id, this.clock), ...(space && { space }) }
  }

  async catchUp(): Promise<void> {
    while ((await this.sync()).more) {}
  }

  async createSpace(name: string): Promise<string> {
    const answer = await call<{ space: { id: string } }>(
      `${this.server.url}${ROUTES.spaces}`,
      this.token,
      { name },
    )
    return answer.space.id
  }
}

/** Runs `fn` on a new server process with `users` users, on a new database of `backend`. */
const onServer = <T>(
  ctx: BenchContext,
  backend: Backend,
  users: number,
  fn: (server: ServerHandle) => Promise<T>,
): Promise<T> => {
  const run = (db: string) => withServer({ kind: 'tidings', db, users }, fn)
  if (backend === 'postgres') return withTempDatabase(run)
  return run(`sqlite:${path.join(ctx.tmp, `spaces-${newId()}.db`)}`)
}

/** Mean ms per call of `PER_SAMPLE` calls of `work`, from a collected heap here and there. */
const perCall = async (
  ctx: BenchContext,
  server: ServerHandle,
  work: () => Promise<void>,
): Promise<number> => {
  const calls = ctx.size(...PER_SAMPLE)
  const ms = await time(async () => {
    for (let i = 0; i < calls; i++) await work()
  }, [server])
  return ms / calls
}

/**
 * Both sides of a comparison as cells: a side that threw, or a setup that threw before either
 * was measured, becomes its error (and fails the run, see runner.ts).
 */
const pair = async <K extends string>(
  keys: readonly K[],
  measure: () => Promise<Record<K, number[] | { error: unknown }>>,
): Promise<Record<K, Cell | Missing>> => {
  const cell = (v: number[] | { error: unknown }) =>
    Array.isArray(v) ? sampled(v, 'ms') : missing(v.error)
  try {
    const samples = await measure()
    return Object.fromEntries(keys.map((k) => [k, cell(samples[k])])) as Record<K, Cell | Missing>
  } catch (error) {
    return Object.fromEntries(keys.map((k) => [k, missing(error)])) as Record<K, Cell | Missing>
  }
}

/**
 * A sync that finds nothing new, for a user in `many` shared spaces (each holding a bundle)
 * against a user in one, on the same server, samples taken in turns. The cursor is one opaque
 * string whatever the number of spaces (DESIGN §8), so request size and work should not grow.
 */
const idleSync = async (ctx: BenchContext, backend: Backend, many: number): Promise<void> => {
  ctx.log(`spaces: idle sync, 1 vs ${many} spaces, ${backend}`)
  let sizes: Record<'one' | 'many', number> = { one: 0, many: 0 }
  const both = await pair(['one', 'many'] as const, () =>
    onServer(ctx, backend, 2, async (server) => {
      const one = new Device(server, server.tokens[0] as string)
      const lots = new Device(server, server.tokens[1] as string)
      for (const [device, count] of [
        [one, 1],
        [lots, many],
      ] as const) {
        for (let i = 0; i < count; i++) {
          const space = await device.createSpace(`space ${i}`)
          await device.sync([device.bundle(space)])
        }
        await device.catchUp()
      }
      const idle = (device: Device) => async () => {
        const { pulled } = await device.sync()
        if (pulled > 0) throw new Error(`an idle sync pulled ${pulled} bundles`)
      }
      const samples = await interleave(ctx, {
        one: () => perCall(ctx, server, idle(one)),
        many: () => perCall(ctx, server, idle(lots)),
      })
      sizes = { one: one.sent, many: lots.sent }
      return samples
    }),
  )
  ctx.report(
    makeRow({
      bench: 'spaces',
      measure: `sync with nothing new, user in ${many} shared spaces, ${backend} (ms)`,
      ours: both.many,
      baseline: both.one,
      baselineName: 'a user in 1 space, same server, in turns',
      goal: ratioAtMost(1.5, '≤ 1.5× of 1 space'),
      note: `request ${sizes.many} B vs ${sizes.one} B`,
    }),
  )
}

/**
 * A one-bundle push into a space of `members` members against one into a space of its owner
 * alone, on the same server, in turns. A push appends one feed row per member (two statements
 * whatever their number), so this grows with members: the row shows by how much.
 */
const pushToMembers = async (ctx: BenchContext, backend: Backend, members: number) => {
  ctx.log(`spaces: push into a space of 1 vs ${members} members, ${backend}`)
  const both = await pair(['alone', 'shared'] as const, () =>
    onServer(ctx, backend, members, async (server) => {
      const owner = new Device(server, server.tokens[0] as string)
      const alone = await owner.createSpace('alone')
      const shared = await owner.createSpace('shared')
      const { code } = await call<{ code: string }>(
        `${server.url}${routePath(ROUTES.invites, { space: shared })}`,
        owner.token,
        { role: 'reader', maxUses: members },
      )
      for (const token of server.tokens.slice(1))
        await call(`${server.url}${ROUTES.acceptInvite}`, token, { code })
      await owner.catchUp()
      const push = (space: string) => async () => {
        await owner.sync([owner.bundle(space)])
      }
      return interleave(ctx, {
        alone: () => perCall(ctx, server, push(alone)),
        shared: () => perCall(ctx, server, push(shared)),
      })
    }),
  )
  ctx.report(
    makeRow({
      bench: 'spaces',
      measure: `push of one ~2 KB bundle into a space of ${members.toLocaleString('en-US')} members, ${backend} (ms)`,
      ours: both.shared,
      baseline: both.alone,
      baselineName: 'into a space of its owner alone, same server, in turns',
      note: 'one feed row per member, written in the push',
    }),
  )
}

/** What spaces cost (issue 12): idle syncs across many spaces, pushes to many members. */
export const spaces: Bench = {
  name: 'spaces',
  async run(ctx) {
    const members = ctx.size(1_000, 100)
    for (const backend of ['sqlite', 'postgres'] as const) {
      await idleSync(ctx, backend, 200)
      await pushToMembers(ctx, backend, members)
    }
  },
}
