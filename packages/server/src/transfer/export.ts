import { TidingsError } from '@tidings/protocol'
import type { Store, StreamSize, UserInfo } from '../store/store.js'
import { bundleLine, endLine, headerLine, userLine } from './format.js'
import type { Progress } from './progress.js'

/** Per page read (one statement each): a few MB of text at most. */
const PAGE_BUNDLES = 1_000
const PAGE_EVENTS = 10_000

export interface ExportOptions {
  /** Only this user's bundles; all users' when absent. */
  user?: string
  /** Takes each chunk of lines; waits when the output is slow (so memory stays flat). */
  write(text: string): Promise<void>
  progress?: Progress
  /** Bundles per page read; default 1,000. */
  pageBundles?: number
}

export interface ExportSummary extends StreamSize {
  users: number
}

/**
 * Writes the users and their stored bundles as export lines (see format.ts): every user (those
 * without bundles too, and whether revoked), then user by user each user's bundles in stream
 * order, one page in memory at a time. Bundles pushed while it runs may or
 * may not be included; each user's stream is read up to its head as found page by page.
 */
export const exportBundles = async (
  store: Store,
  options: ExportOptions,
): Promise<ExportSummary> => {
  const users = await chosenUsers(store, options.user)
  const total: StreamSize = { bundles: 0, events: 0 }
  for (const user of users) {
    const size = await store.streamSize(user.id)
    total.bundles += size.bundles
    total.events += size.events
  }
  options.progress?.expect(total)
  await options.write(headerLine(total))
  if (users.length > 0) await options.write(users.map((user) => userLine(user)).join(''))
  const written: StreamSize = { bundles: 0, events: 0 }
  for (const user of users) {
    // Today a user's stream key is the user id (see authenticate).
    const limit = options.pageBundles ?? PAGE_BUNDLES
    const pull = { stream: user.id, limit, maxEvents: PAGE_EVENTS }
    for (let after = 0; ; ) {
      const page = await store.pull({ ...pull, after })
      if (page.bundles.length > 0) {
        const events = page.bundles.reduce((sum, b) => sum + b.events.length, 0)
        await options.write(
          page.bundles.map((bundle) => bundleLine({ user: user.name, bundle })).join(''),
        )
        written.bundles += page.bundles.length
        written.events += events
        options.progress?.add(page.bundles.length, events)
      }
      if (!page.more) break
      after = page.cursor
    }
  }
  await options.write(endLine(written))
  return { users: users.length, ...written }
}

const chosenUsers = async (store: Store, name: string | undefined): Promise<UserInfo[]> => {
  const users = await store.listUsers()
  if (name === undefined) return users
  const user = users.find((u) => u.name === name)
  if (!user) throw new TidingsError('not_found', `no user named ${JSON.stringify(name)}`)
  return [user]
}
