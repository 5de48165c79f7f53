import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FakeSpacesServer } from '../test/fake-spaces-server.js'
import { internals, type LibraryClient } from '../test/fixtures.js'
import { deviceOf } from '../test/spaces-backends.js'

/**
 * Random sequences of writes, syncs, removals, rejoins and role changes by two users with two
 * devices each, one shared space between them; at the end every device syncs until quiet, and
 * each client's state is checked against what the (fake) server holds: exactly the entities of
 * the spaces its user is in, each with its space, identical on both devices of a user, and every
 * write a device made either on the server or listed by its `rejected()`, never lost silently.
 */

type Op =
  | { kind: 'write'; device: number; shared: boolean }
  | { kind: 'edit'; device: number; pick: number }
  | { kind: 'sync'; device: number }
  | { kind: 'remove' }
  | { kind: 'rejoin'; device: number }
  | { kind: 'role'; role: 'reader' | 'writer' }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      device: fc.nat(3),
      shared: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('edit' as const), device: fc.nat(3), pick: fc.nat() }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sync' as const), device: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('rejoin' as const),
      device: fc.integer({ min: 2, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('role' as const),
      role: fc.constantFrom('reader' as const, 'writer' as const),
    }),
  },
)

/** Each document a device holds, with its space. */
const holdings = (client: LibraryClient) =>
  internals(client)
    .store.sql.all<{ id: string; space: string | null }>(
      'SELECT id, space FROM t_document ORDER BY id',
    )
    .map((r) => `${r.id}@${r.space ?? 'private'}`)

/** The refused writes' entity ids a device reports. */
const reported = async (client: LibraryClient) =>
  new Set((await client.rejected()).flatMap((r) => r.events.map((e) => e.entity)))

describe('shared spaces, model check against the fake server', () => {
  it('every device shows exactly the spaces its user is in, the same on each of its devices, and loses no write silently', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
        const server = new FakeSpacesServer({ pageSize: 3 })
        const backend = {
          url: server.url,
          fetch: server.fetch,
          addUser: (n: string) => server.addUser(n),
          close: async () => undefined,
        }
        const ada = await server.addUser('Ada')
        const bob = await server.addUser('Bob')
        // Devices 0 and 1 are Ada's, 2 and 3 Bob's.
        const devices = await Promise.all(
          [ada, ada, bob, bob].map((user) => deviceOf(backend, user.token)),
        )
        const owner = devices[0]!
        const lib = await owner.createSpace('lib')
        await devices[2]!.acceptInvite(await owner.invite(lib.id, 'writer'))
        for (const device of devices) await device.spaces()
        const written: string[][] = [[], [], [], []]
        for (const step of ops) {
          try {
            if (step.kind === 'write') {
              const doc = await devices[step.device]!.create(
                'document',
                { author: String(step.device), title: 'w' },
                { space: step.shared ? lib.id : null },
              )
              written[step.device]!.push(doc.id)
            } else if (step.kind === 'edit') {
              const mine = written[step.device]!
              if (mine.length > 0)
                await devices[step.device]!.update('document', mine[step.pick % mine.length]!, {
                  title: `e${step.pick}`,
                })
            } else if (step.kind === 'sync') await devices[step.device]!.sync()
            else if (step.kind === 'remove') {
              if (server.roleOf(lib.id, bob.id)) await owner.removeMember(lib.id, bob.id)
            } else if (step.kind === 'rejoin') {
              if (!server.roleOf(lib.id, bob.id))
                await devices[step.device]!.acceptInvite(await owner.invite(lib.id, 'writer'))
            } else if (server.roleOf(lib.id, bob.id)) await owner.setRole(lib.id, bob.id, step.role)
          } catch (error) {
            // Local refusals (a reader writing, a space this device no longer has, an entity
            // gone with its space) are part of the game; anything else fails the run.
            const code = (error as { code?: string }).code
            if (code !== 'forbidden' && code !== 'not_found') throw error
          }
        }
        for (let round = 0; round < 3; round++) for (const device of devices) await device.sync()

        for (const [index, device] of devices.entries()) {
          const user = index < 2 ? ada : bob
          const expected = [...server.entitiesOf(user.id)]
            .map(([entity, space]) => `${entity}@${space === user.id ? 'private' : space}`)
            .sort()
          expect(holdings(device)).toEqual(expected)
          const onServer = new Set([
            ...server.entitiesOf(ada.id).keys(),
            ...server.entitiesOf(bob.id).keys(),
          ])
          const refused = await reported(device)
          for (const entity of written[index]!)
            expect(onServer.has(entity) || refused.has(entity)).toBe(true)
        }
        expect(holdings(devices[1]!)).toEqual(holdings(devices[0]!))
        expect(holdings(devices[3]!)).toEqual(holdings(devices[2]!))
        for (const device of devices) await device.close()
      }),
      { numRuns: 25 },
    )
  })
})
