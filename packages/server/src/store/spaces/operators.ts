import type { SpaceInfo } from '../store.js'
import type { Queries } from './guard.js'

/** Every shared space with its member count and its owners' names, by name (operators' view). */
export const listAllSpaces = async (db: Queries): Promise<SpaceInfo[]> => {
  const spaces = await db
    .selectFrom('spaces')
    .select(['id', 'name', 'created_at'])
    .orderBy('name')
    .orderBy('id')
    .execute()
  const members = await db
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select(['members.space', 'members.role', 'users.name'])
    .where('members.role', 'is not', null)
    .orderBy('users.name')
    .execute()
  const bySpace = new Map<string, typeof members>()
  for (const m of members) bySpace.set(m.space, [...(bySpace.get(m.space) ?? []), m])
  return spaces.map((s) => {
    const own = bySpace.get(s.id) ?? []
    return {
      id: s.id,
      name: s.name,
      createdAt: Number(s.created_at),
      members: own.length,
      owners: own.filter((m) => m.role === 'owner').map((m) => m.name),
    }
  })
}
