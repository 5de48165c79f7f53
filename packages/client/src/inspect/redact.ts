/** What replaces a secret found in the inspector's output. */
export const REDACTED = '[redacted]'

/** Shorter strings are not worth hunting: they would match ordinary text. */
const MIN_SECRET = 8

/**
 * `value` with every occurrence of a secret replaced by `[redacted]`, wherever it hides (an
 * error message, a stored value, a URL): the inspector's output is plain data, so one pass over
 * its JSON text finds them all. Returns `value` itself when no secret occurs in it, which is
 * always, unless something upstream leaked one.
 */
export const redact = <T>(value: T, secrets: ReadonlyArray<string | undefined>): T => {
  const present = secrets.filter(
    (s): s is string => typeof s === 'string' && s.length >= MIN_SECRET,
  )
  if (present.length === 0 || value === undefined) return value
  let text = JSON.stringify(value)
  if (!present.some((secret) => text.includes(JSON.stringify(secret).slice(1, -1)))) return value
  for (const secret of present)
    text = text.replaceAll(JSON.stringify(secret).slice(1, -1), REDACTED)
  return JSON.parse(text) as T
}
