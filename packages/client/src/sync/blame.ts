import {
  type Bundle,
  type ErrorCode,
  isTidingsError,
  type PartedBundle,
  type TidingsError,
} from '@tidings/protocol'

/**
 * Refusals that sending the same bundle again can never turn into an acceptance: an id reused
 * with other content (`conflict`), a bundle the server finds malformed (`bad_request`) or
 * bigger than it takes (`too_large`). Everything else is not the bundle's fault or passes with
 * time: network trouble, 5xx, `unavailable`, `rate_limited`, `unauthorized`/`forbidden` (about
 * the account, not a bundle) and `clock_drift` (accepted once the server's clock catches up).
 */
const PERMANENT: ReadonlySet<ErrorCode> = new Set(['conflict', 'bad_request', 'too_large'])

/**
 * What a refused push says about its bundles:
 * - a `Bundle`: that one is refused for good;
 * - `unknown`: one of them is, the answer does not say which (push them one at a time to find it);
 * - `request`: the refusal is about the request, or is not permanent: no bundle is to blame.
 */
export type Blame = Bundle | 'unknown' | 'request'

/** A validation issue as the server reports it (`parseWire` details). */
interface Issue {
  path: string
}

const BUNDLE_PATH = /^bundles\.(\d+)(?:\.|$)/
const PART_PATH = /^parts(?:\.(\d+))?(?:\.|$)/

/**
 * Finds the pushed bundle a refusal is about, from what the server's answer says (DESIGN.md §6):
 * a `conflict` names the bundle (`details.bundle`) or the event (`details.event`) whose id is
 * taken; a validation refusal lists issue paths such as `bundles.2.events.0.value`. A
 * conflict or a `too_large` that names nothing blames the bundle of a one-bundle push; a
 * `bad_request` that names nothing (a bad cursor, say) blames no bundle.
 */
export const blame = (bundles: readonly PartedBundle[], error: unknown): Blame => {
  if (bundles.length === 0 || !isTidingsError(error) || !PERMANENT.has(error.code)) return 'request'
  const only = bundles.length === 1 ? bundles[0]! : 'unknown'
  if (error.code === 'conflict') return byId(bundles, error) ?? only
  const list = issues(error)
  if (list === null) return error.code === 'too_large' ? only : 'request'
  const part = partBlamed(bundles, list)
  if (part) return part
  // An issue outside the bundles (the cursor, the request's own timestamp) blames the request.
  if (list.some((issue) => !issue.path.startsWith('bundles'))) return 'request'
  const index = BUNDLE_PATH.exec(list[0]!.path)?.[1]
  const named = index === undefined ? undefined : bundles[Number(index)]
  if (named && list.every((issue) => BUNDLE_PATH.test(issue.path))) return named
  // Issues about the bundle list itself (too many bundles): one at a time is the way out.
  return bundles.length === 1 ? 'request' : 'unknown'
}

/**
 * The part an issue about the request's `parts` list is about: `parts.N…` names the Nth part
 * sent; `parts` alone is a server that predates parts refusing the list as an unknown field,
 * which no resend fixes, so the first part is set aside (then the next, one per round), and
 * the rest of the outbox still goes. The app sees them in `rejected()` and can retry them once
 * the server is upgraded.
 */
const partBlamed = (
  bundles: readonly PartedBundle[],
  list: readonly Issue[],
): Bundle | undefined => {
  const match = list.length > 0 ? PART_PATH.exec(list[0]!.path) : null
  if (!match) return undefined
  const parts = bundles.filter((b) => b.part !== undefined)
  return parts[Number(match[1] ?? 0)] ?? parts[0]
}

/** The bundle a conflict names, by its id or by one of its events' ids. */
const byId = (bundles: readonly Bundle[], error: TidingsError): Bundle | undefined => {
  const details = error.details as { bundle?: unknown; event?: unknown } | undefined
  if (typeof details?.bundle === 'string') return bundles.find((b) => b.id === details.bundle)
  if (typeof details?.event === 'string')
    return bundles.find((b) => b.events.some((e) => e.id === details.event))
  return undefined
}

/** The validation issues of a `parseWire` refusal; null when the answer lists none. */
const issues = (error: TidingsError): Issue[] | null =>
  Array.isArray(error.details) &&
  error.details.length > 0 &&
  error.details.every((d) => typeof (d as Partial<Issue> | null)?.path === 'string')
    ? (error.details as Issue[])
    : null

/**
 * What the answer to a request failed with, as `round` throws it: only such an error may blame a
 * pushed bundle (`blame` then reads the server's refusal). A failure while applying the page is
 * no verdict on the bundles sent, and setting one aside for it would lose a write the server
 * holds; nor is an answer this client cannot read (`bad_answer`, which `blame` never takes for
 * a refusal). Never escapes the sync engine.
 */
export class Refusal {
  constructor(readonly error: unknown) {}
}

/** The error inside a `Refusal`, or the error itself. */
export const unwrap = (thrown: unknown): unknown =>
  thrown instanceof Refusal ? thrown.error : thrown

/** Rethrows the error inside a `Refusal` (for `.catch`). */
export const rethrow = (thrown: unknown): never => {
  throw unwrap(thrown)
}
