import type { Store } from '../store/store.js'

/** One `tidings user …` command line, checked by `main.ts` before any database is opened. */
export interface UserCommand {
  sub: 'add' | 'list' | 'token' | 'revoke' | 'delete'
  /** Absent only for `list`. */
  name: string | undefined
  json: boolean
  /** `--yes`: a deletion is meant (`user delete` only says what it would do without it). */
  yes: boolean
  out(text: string): void
  err(text: string): void
}

/** `tidings user add|list|token|revoke|delete`, on an open store; answers the exit code. */
export const runUserCommand = async (store: Store, command: UserCommand): Promise<number> => {
  const { sub, json, out } = command
  const name = command.name as string
  if (sub === 'delete') {
    const { runUserDelete } = await import('./user-delete.js')
    return runUserDelete(store, { ...command, name })
  }
  const users = await import('../auth/users.js')
  if (sub === 'list') printUsers(await users.listUsers(store), json, out)
  else if (sub === 'add' || sub === 'token') {
    const user = await (sub === 'add' ? users.addUser : users.issueToken)(store, name)
    if (json) out(JSON.stringify(user))
    else
      out(
        `user ${user.name} (${user.id})\ntoken ${user.token}\nThe token is shown only now; keep it secret.`,
      )
  } else {
    await users.revokeUser(store, name)
    out(`revoked ${name}`)
  }
  return 0
}

const printUsers = (
  users: Array<{ id: string; name: string; revokedAt: number | null }>,
  json: boolean,
  out: (text: string) => void,
): void => {
  if (json) {
    out(JSON.stringify(users))
    return
  }
  if (users.length === 0) out('no users yet: tidings user add NAME')
  for (const u of users)
    out(
      `${u.name}\t${u.id}\t${u.revokedAt === null ? 'active' : `revoked ${new Date(u.revokedAt).toISOString()}`}`,
    )
}
