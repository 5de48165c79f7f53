import { type Bundle, type Event, HybridClock, newId } from '@tidings/protocol'

/** The bench schema's type and its four attributes: every document sets all four. */
export const TYPE = 'document'
export const ATTRIBUTES = ['author', 'title', 'url', 'note'] as const
export type DocFields = Record<(typeof ATTRIBUTES)[number], string>

/** Realistic small strings; 100 authors so a filter on author selects 1%. */
export const docFields = (i: number): DocFields => ({
  author: `author-${i % 100}`,
  title: `Title ${(i * 7919) % 1_000_003} of a document`,
  url: `https://example.com/documents/${i}`,
  note: `note ${i}: some words about this document`,
})

/** The events that create `docs` documents, stamped by one client's clock. */
export const makeEvents = (
  docs: number,
  clock = new HybridClock({ node: newId() }),
  first = 0,
): Event[] => {
  const client = clock.node
  const events: Event[] = []
  for (let i = first; i < first + docs; i++) {
    const entity = newId()
    const fields = docFields(i)
    for (const attribute of ATTRIBUTES) {
      events.push({
        id: newId(),
        type: TYPE,
        entity,
        attribute,
        value: fields[attribute],
        hlc: clock.send(),
        client,
      })
    }
  }
  return events
}

/** Cuts events into bundles of `perBundle` events (one local transaction each). */
export const toBundles = (events: readonly Event[], perBundle: number): Bundle[] => {
  const bundles: Bundle[] = []
  for (let i = 0; i < events.length; i += perBundle) {
    const slice = events.slice(i, i + perBundle)
    const last = slice[slice.length - 1] as Event
    bundles.push({ id: newId(), client: last.client, hlc: last.hlc, events: slice })
  }
  return bundles
}

/** Documents × attributes = events, as the table states sizes. */
export const eventsFor = (docs: number): number => docs * ATTRIBUTES.length
