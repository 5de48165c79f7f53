/**
 * What a live query sends the page after its first rows: the new list as segments, each a run
 * of rows the page already holds (`keep`: a slice of its last list) or rows it does not (new,
 * or changed). A first sync of N documents then posts each row about once, not the whole list
 * at every pulled page (which was quadratic), and a one-row change posts one row.
 */
export type RowsDiff = Array<{ keep: [start: number, count: number] } | { rows: unknown[] }>

type Row = { id?: unknown }

/** The diff from `last` to `next` (rows with an `id`); null when sending `next` whole is as cheap. */
export function diffRows(last: readonly unknown[], next: readonly unknown[]): RowsDiff | null {
  const at = new Map<unknown, number>()
  for (const [i, row] of last.entries()) {
    const id = (row as Row).id
    if (id === undefined || at.has(id)) return null
    at.set(id, i)
  }
  const diff: RowsDiff = []
  let kept = -1
  let sent = 0
  for (const row of next) {
    const i = at.get((row as Row).id)
    // Kept: an unchanged row after the last one kept (order preserved); anything else is sent.
    if (i !== undefined && i > kept && same(last[i], row)) {
      const tail = diff[diff.length - 1]
      if (tail && 'keep' in tail && tail.keep[0] + tail.keep[1] === i) tail.keep[1] += 1
      else diff.push({ keep: [i, 1] })
      kept = i
    } else {
      const tail = diff[diff.length - 1]
      if (tail && 'rows' in tail) tail.rows.push(row)
      else diff.push({ rows: [row] })
      sent += 1
    }
  }
  return sent === next.length ? null : diff
}

/** The list `diff` describes, from the page's `last` list (kept rows keep their identity). */
export function applyDiff(last: readonly unknown[], diff: RowsDiff): unknown[] {
  const next: unknown[] = []
  for (const part of diff) {
    if ('keep' in part) for (let i = 0; i < part.keep[1]; i++) next.push(last[part.keep[0] + i])
    else for (const row of part.rows) next.push(row)
  }
  return next
}

/** The number of rows a diff carries (what it costs to post). */
export const diffSize = (diff: RowsDiff): number =>
  diff.reduce((n, part) => n + ('rows' in part ? part.rows.length : 0), 0)

/** Field by field; JSON values (arrays, objects) by their JSON. */
const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  const keys = Object.keys(x)
  if (keys.length !== Object.keys(y).length) return false
  return keys.every((key) => {
    const u = x[key]
    const v = y[key]
    if (u === v) return true
    if (typeof u !== 'object' || typeof v !== 'object' || u === null || v === null) return false
    return JSON.stringify(u) === JSON.stringify(v)
  })
}
