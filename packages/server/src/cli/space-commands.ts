import { type Member, TidingsError } from '@tidings/protocol'
import type { SpaceInfo, Store } from '../store/store.js'

export const SPACE_USAGE = `  tidings space list [--db URL] [--json]
  tidings space members SPACE [--db URL] [--json]
  tidings space remove SPACE USER --yes [--db URL] [--json]`

export const SPACE_HELP = `space list shows every shared space (id, name, members, owners); space members SPACE its
     members and roles; space remove SPACE USER removes a member (an operator acting as one of
     the space's owners: the last owner cannot be removed). SPACE is a space id or a unique
     name, USER a user name or id. Its devices drop the space's data at their next sync.`

/** One `tidings space …` command line, parsed by `main.ts`. */
export interface SpaceCommand {
  sub: string | undefined
  args: string[]
  json: boolean
  /** `--yes`: a removal is meant (nothing is removed without it). */
  yes: boolean
  out(text: string): void
  /** A usage error of `main.ts` (exit code 2, usage printed). */
  usage(message: string): Error
}

/** The command from `main.ts`'s parsed line, checked before any database is opened. */
export const spaceCommand = (line: {
  sub: string | undefined
  args: Array<string | undefined>
  values: Record<string, string | boolean | undefined>
  out(text: string): void
  usage(message: string): Error
}): SpaceCommand => {
  const command = {
    sub: line.sub,
    args: line.args.filter((a) => a !== undefined),
    json: line.values.json === true,
    yes: line.values.yes === true,
    out: line.out,
    usage: line.usage,
  }
  checkSpaceCommand(command)
  return command
}

/** Checks the command line; throws a usage error. */
export const checkSpaceCommand = (command: SpaceCommand): void => {
  const { sub, args, usage } = command
  const want = sub === 'list' ? 0 : sub === 'members' ? 1 : sub === 'remove' ? 2 : undefined
  if (want === undefined) throw usage('space needs list, members SPACE or remove SPACE USER')
  if (args.length < want)
    throw usage(`space ${sub} needs ${sub === 'members' ? 'a SPACE' : 'a SPACE and a USER'}`)
  if (args.length > want) throw usage(`unexpected argument ${JSON.stringify(args[want])}`)
  if (sub === 'remove' && !command.yes)
    throw usage('space remove changes who may read the space: add --yes to confirm')
}

/** `tidings space list|members|remove`, on an open store. */
export const runSpaceCommand = async (store: Store, command: SpaceCommand): Promise<void> => {
  checkSpaceCommand(command)
  const { sub, args, json, out } = command
  const spaces = await store.listAllSpaces()
  if (sub === 'list') return printSpaces(spaces, json, out)
  const space = findSpace(spaces, args[0] as string)
  const users = await store.listUsers()
  const idOf = new Map(users.map((u) => [u.name, u.id]))
  const owners = space.owners.map((name) => idOf.get(name) as string)
  const members = await store.listMembers(space.id, owners[0] as string)
  if (sub === 'members') return printMembers(members, json, out)
  const named = args[1] as string
  const member = members.find((m) => m.user === named || m.name === named)
  if (!member)
    throw new TidingsError(
      'not_found',
      `${named} is not a member of space ${space.name} (${space.id})`,
    )
  // As one of its owners: another owner when there is one, else the member itself (which the
  // store refuses as last_owner when it is the only owner).
  const caller = owners.find((id) => id !== member.user) ?? member.user
  await store.removeMember({ space: space.id, caller, user: member.user, now: Date.now() })
  if (json) out(JSON.stringify({ space: space.id, user: member.user, removed: true }))
  else out(`removed ${member.name} (${member.user}) from ${space.name} (${space.id})`)
}

const findSpace = (spaces: SpaceInfo[], named: string): SpaceInfo => {
  const byId = spaces.find((s) => s.id === named)
  if (byId) return byId
  const byName = spaces.filter((s) => s.name === named)
  if (byName.length === 1) return byName[0] as SpaceInfo
  if (byName.length > 1)
    throw new TidingsError(
      'conflict',
      `${byName.length} spaces are named ${JSON.stringify(named)}: give an id (tidings space list)`,
    )
  throw new TidingsError(
    'not_found',
    `no shared space ${JSON.stringify(named)} (tidings space list)`,
  )
}

const printSpaces = (spaces: SpaceInfo[], json: boolean, out: (text: string) => void): void => {
  if (json) out(JSON.stringify(spaces))
  else if (spaces.length === 0) out('no shared spaces yet')
  else
    for (const s of spaces)
      out(
        `${s.id}\t${s.name}\t${s.members} member${s.members === 1 ? '' : 's'}\towners: ${s.owners.join(', ')}`,
      )
}

const printMembers = (members: Member[], json: boolean, out: (text: string) => void): void => {
  if (json) out(JSON.stringify(members))
  else for (const m of members) out(`${m.name}\t${m.user}\t${m.role}`)
}
