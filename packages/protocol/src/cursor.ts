/**
 * Cursors are opaque to clients, with one exception: a live poke names the stream position the
 * server reached, and a client whose cursor already stands there has nothing to pull. A cursor
 * begins with its position (`"12"` or `"12.12.<mark>"`, see the server's `http/cursor.ts`).
 */
export const pokeIsNews = (poke: string, cursor: string | null): boolean => {
  if (cursor === null) return true
  const dot = cursor.indexOf('.')
  return poke !== (dot < 0 ? cursor : cursor.slice(0, dot))
}
