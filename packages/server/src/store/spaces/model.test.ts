import type { Role } from '@tidings/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { appSuite } from '../../testing/app-suite.js'
import { TEST_BACKENDS } from '../../testing/backends.js'
import { SpacesTestKit } from '../../testing/spaces.js'
import { RANK } from './guard.js'

const USERS = 4
const role = fc.constantFrom<Role>('owner', 'writer', 'reader')
const who = fc.nat({ max: USERS - 1 })
const which = fc.nat({ max: 7 })

/** One membership operation, naming users and spaces by index. */
const operation = fc.oneof(
  fc.record({ op: fc.constant('create' as const), caller: who }),
  fc.record({ op: fc.constant('invite' as const), caller: who, space: which, user: who, role }),
  fc.record({ op: fc.constant('setRole' as const), caller: who, space: which, user: who, role }),
  fc.record({ op: fc.constant('remove' as const), caller: who, space: which, user: who }),
)
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never

/**
 * The reference: each space a map of user → role, and what each operation should answer, in
 * the words of DESIGN §8 (owners manage; the last owner stays; joining is by invite only; an
 * invite never lowers a role).
 */
class Model {
  readonly spaces: Array<Map<number, Role>> = []

  apply(o: Operation): string {
    if (o.op === 'create') {
      this.spaces.push(new Map([[o.caller, 'owner']]))
      return 'ok'
    }
    const space = this.spaces[o.space % this.spaces.length] as Map<number, Role>
    const owners = [...space.values()].filter((r) => r === 'owner').length
    const caller = space.get(o.caller)
    const target = space.get(o.user)
    if (o.op === 'invite') {
      if (caller !== 'owner') return 'forbidden'
      if (target === undefined || RANK[target] < RANK[o.role]) space.set(o.user, o.role)
      return 'ok'
    }
    if (o.op === 'setRole') {
      if (caller !== 'owner') return 'forbidden'
      if (target === undefined) return 'not_found'
      if (target === o.role) return 'ok'
      if (target === 'owner' && owners <= 1) return 'last_owner'
      space.set(o.user, o.role)
      return 'ok'
    }
    if (o.caller === o.user ? caller === undefined : caller !== 'owner')
      return o.caller === o.user ? 'not_found' : 'forbidden'
    if (target === undefined) return 'not_found'
    if (target === 'owner' && owners <= 1) return 'last_owner'
    space.delete(o.user)
    return 'ok'
  }
}

describe.each(TEST_BACKENDS)('membership operations against a model on $name', (backend) => {
  const suite = appSuite(backend, { rateLimit: false })
  const kit = new SpacesTestKit(() => suite.store)
  const runs = backend.name === 'sqlite :memory:' ? 60 : 8

  it('answer as the model says, and leave every user’s spaces, members and feed as it says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (ops) => {
        const model = new Model()
        const users = await Promise.all(Array.from({ length: USERS }, () => kit.user()))
        const spaces: string[] = []
        const id = (o: { space: number }) => spaces[o.space % spaces.length] as string
        const now = Date.now()
        for (const o of ops) {
          if (o.op !== 'create' && spaces.length === 0) continue
          const expected = model.apply(o)
          const [caller, user] = [
            users[o.caller] as string,
            users['user' in o ? o.user : 0] as string,
          ]
          const done = (async () => {
            if (o.op === 'create') spaces.push(await kit.space(caller))
            else if (o.op === 'invite') {
              const { code } = await kit.invite(id(o), caller, { role: o.role })
              await kit.accept(code, user)
            } else if (o.op === 'setRole')
              await suite.store.setRole({ space: id(o), caller, user, role: o.role, now })
            else await suite.store.removeMember({ space: id(o), caller, user, now })
          })()
          const answer = await done.then(
            () => 'ok',
            (err: { code?: string }) => err.code ?? String(err),
          )
          expect(answer, JSON.stringify(o)).toBe(expected)
        }
        for (const [u, user] of users.entries()) {
          const want = new Map<string, Role>()
          for (const [s, members] of model.spaces.entries()) {
            const r = members.get(u)
            if (r) want.set(spaces[s] as string, r)
          }
          const listed = (await suite.store.listSpaces(user)).filter((s) => !s.private)
          expect(new Map(listed.map((s) => [s.id, s.role]))).toEqual(want)
          // Replaying the user's feed gives the same roles: joins, role changes and leaves all
          // reached it, in order.
          const replayed = new Map<string, Role>()
          for (const entry of await kit.feed(user)) {
            if (entry.kind === 'leave') replayed.delete(entry.space)
            else if (entry.role) replayed.set(entry.space, entry.role)
          }
          expect(replayed).toEqual(want)
        }
        for (const [s, members] of model.spaces.entries()) {
          const [first] = [...members.keys()]
          if (first === undefined) continue
          const listed = await suite.store.listMembers(spaces[s] as string, users[first] as string)
          expect(new Map(listed.map((m) => [m.user, m.role]))).toEqual(
            new Map([...members].map(([u, r]) => [users[u], r])),
          )
          expect(listed.some((m) => m.role === 'owner')).toBe(true)
        }
      }),
      { numRuns: runs },
    )
  }, 240_000)
})
