import type { Kysely } from 'kysely'
import type { Family } from './dialects/family.js'
import type { Database } from './schema.js'
import { roleIn } from './spaces/guard.js'
import { acceptInvite, createInvite, listInvites, revokeInvite } from './spaces/invites.js'
import { createSpace, listMembers, listSpaces, removeMember, setRole } from './spaces/members.js'
import { listAllSpaces } from './spaces/operators.js'
import type { SpaceStore } from './store.js'

/**
 * Spaces, members and invites over Kysely (DESIGN §8), on every backend; see `SpaceStore`.
 * The work lives in `spaces/`: `members.ts`, `invites.ts`, `guard.ts` (who may do what) and
 * `lock.ts` (the space lock that membership changes share with pushes).
 */
export class KyselySpaces implements SpaceStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly family: Family,
  ) {}

  createSpace: SpaceStore['createSpace'] = (input) => createSpace(this.db, this.family, input)
  listSpaces: SpaceStore['listSpaces'] = (user) => listSpaces(this.db, user)
  roleOf: SpaceStore['roleOf'] = (space, user) => roleIn(this.db, space, user)
  listMembers: SpaceStore['listMembers'] = (space, caller) => listMembers(this.db, space, caller)
  setRole: SpaceStore['setRole'] = (input) => setRole(this.db, this.family, input)
  removeMember: SpaceStore['removeMember'] = (input) => removeMember(this.db, this.family, input)
  createInvite: SpaceStore['createInvite'] = (input) => createInvite(this.db, this.family, input)
  listInvites: SpaceStore['listInvites'] = (space, caller) => listInvites(this.db, space, caller)
  revokeInvite: SpaceStore['revokeInvite'] = (input) => revokeInvite(this.db, this.family, input)
  acceptInvite: SpaceStore['acceptInvite'] = (input) => acceptInvite(this.db, this.family, input)
  listAllSpaces: SpaceStore['listAllSpaces'] = () => listAllSpaces(this.db)
}
