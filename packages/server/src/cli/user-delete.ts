import type { Store } from '../store/store.js'
import type { UserDeletion } from '../store/users/delete-user.js'

export const USER_DELETE_HELP = `user delete NAME --yes deletes a user (NAME or id) and all it alone holds, in one transaction:
     its private bundles, devices, token, identity provider sign-ins, memberships and invites,
     and the shared spaces it is the only member of, with their bundles. What it wrote into
     spaces others still use stays there (their history). Refused while it is the only owner
     of a space others use. Without --yes it only says what would be deleted (exit code 1).`

/** `tidings user delete NAME [--yes] [--json]`, on an open store; answers the exit code. */
export const runUserDelete = async (
  store: Store,
  command: {
    name: string
    yes: boolean
    json: boolean
    out(text: string): void
    err(text: string): void
  },
): Promise<number> => {
  const { name, yes, json, out, err } = command
  const deletion = await store.deleteUser({ user: name, apply: yes })
  if (json) out(JSON.stringify({ deleted: yes, ...deletion }))
  else if (yes) out(`deleted ${describe(deletion)}`)
  else err(`tidings: user delete needs --yes; it would delete ${describe(deletion)}`)
  // Without --yes nothing happened, which a script must not mistake for a deletion.
  return yes ? 0 : 1
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

const describe = (d: UserDeletion): string => {
  const lines = [
    `user ${d.user.name} (${d.user.id}):`,
    `  ${plural(d.bundles, 'bundle')} of its private space`,
    `  ${plural(d.clients, 'device')}, ${plural(d.tokens, 'token')}, ${plural(d.identities, 'identity provider sign-in')}`,
    `  ${plural(d.invites, 'invite')} it made into spaces that stay`,
  ]
  for (const s of d.spaces)
    lines.push(`  space ${s.name} (${s.id}), only it was a member: ${plural(s.bundles, 'bundle')}`)
  for (const s of d.memberships)
    lines.push(
      `  its ${s.role} membership of ${s.name} (${s.id}); the ${plural(s.bundles, 'bundle')} it wrote there stay`,
    )
  return lines.join('\n')
}
