/** What each refusal of a library call means to a reader (the server's stable error codes). */
const WORDS: Record<string, string> = {
  forbidden: 'You are not allowed to do that in this library.',
  not_found: 'No such library, member or invite code.',
  gone: 'This invite has expired or was used up.',
  last_owner: 'The last owner cannot leave or be removed: make someone else an owner first.',
  bad_request: 'That was not accepted: check what you typed.',
}

/** A refusal in words; the error's own message for anything else (offline, say). */
export function inWords(error: unknown): string {
  // Read the code as data: importing the client's error class would pull it into the page bundle.
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : null
  if (typeof code === 'string' && WORDS[code]) return WORDS[code]
  return error instanceof Error ? error.message : String(error)
}
