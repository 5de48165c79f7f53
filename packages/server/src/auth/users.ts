import { newId, TidingsError } from '@tidings/protocol'
import type { Store, UserInfo } from '../store/store.js'
import { hashToken, newToken } from './token.js'

/** A user just created, with the only copy of its token. */
export interface NewUser {
  id: string
  name: string
  token: string
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/

const checkName = (name: string): void => {
  if (!NAME.test(name))
    throw new TidingsError(
      'bad_request',
      `invalid user name ${JSON.stringify(name)}: 1–64 letters, digits or _ . @ -, starting with a letter or digit`,
    )
}

/** Creates a user with a fresh random token; `conflict` when the name is taken. */
export const addUser = async (
  store: Store,
  name: string,
  now: number = Date.now(),
): Promise<NewUser> => {
  checkName(name)
  const token = newToken()
  const user = { id: newId(), name, token }
  await store.createUser({ id: user.id, name, tokenHash: hashToken(token), now })
  return user
}

/**
 * Makes sure a user exists with exactly this token (for the insecure demo mode, whose token
 * is public).
 */
export const ensureUserWithToken = async (
  store: Store,
  name: string,
  token: string,
  now = Date.now(),
): Promise<void> => {
  checkName(name)
  await store.ensureUser({ id: newId(), name, tokenHash: hashToken(token), now })
}

export const listUsers = (store: Store): Promise<UserInfo[]> => store.listUsers()

/** Revokes a user's token for good; `not_found` when no user has that name. */
export const revokeUser = async (
  store: Store,
  name: string,
  now: number = Date.now(),
): Promise<void> => {
  if (!(await store.revokeUser(name, now)))
    throw new TidingsError('not_found', `no user named ${JSON.stringify(name)}`)
}

/**
 * No token hashes to this (a token's hash is 43 base64url characters, never with a colon), so
 * nobody can sign in as a user whose stored hash starts with it. The id keeps it unique.
 */
const NO_TOKEN = 'no-token:'

/**
 * Creates a user nobody can sign in as yet: an imported user, since tokens are never exported.
 * `issueToken` (`tidings user token NAME`) gives it one. `conflict` when the name is taken.
 */
export const addUserWithoutToken = async (
  store: Store,
  name: string,
  now: number = Date.now(),
): Promise<{ id: string; name: string }> => {
  checkName(name)
  const id = newId()
  await store.createUser({ id, name, tokenHash: `${NO_TOKEN}${id}`, now })
  return { id, name }
}

/**
 * Gives an existing user a new token and returns it (the only copy); the old token, if any,
 * stops working. `not_found` for an unknown name; a revoked user stays revoked (`forbidden`).
 */
export const issueToken = async (
  store: Store,
  name: string,
  now: number = Date.now(),
): Promise<NewUser> => {
  const user = (await store.listUsers()).find((u) => u.name === name)
  if (!user) throw new TidingsError('not_found', `no user named ${JSON.stringify(name)}`)
  if (user.revokedAt !== null)
    throw new TidingsError(
      'forbidden',
      `user ${JSON.stringify(name)} is revoked for good; add a new user instead`,
    )
  const token = newToken()
  await store.ensureUser({ id: user.id, name, tokenHash: hashToken(token), now })
  return { id: user.id, name, token }
}
