import { describe, expect, it } from 'vitest'
import type { ObservableClient } from './context.js'
import { heldRows, type ShownRows } from './held-rows.js'

// What useQuery shows across a change of its query (useHeldLive feeds heldRows the rows of the
// new live query and the rows its last committed render showed). No DOM here to re-render a
// component with a new key; the example app's e2e tests filter the list in Chromium.
const client = {} as ObservableClient
const other = {} as ObservableClient
const ada = [{ id: '1', author: 'Ada' }]
const grace = [{ id: '2', author: 'Grace' }]
const shownAda: ShownRows = { client, type: 'document', rows: ada }

describe('heldRows: a changed query keeps the last rows until its own arrive', () => {
  it('is "not loaded" before anything was ever shown', () => {
    expect(heldRows(undefined, undefined, client, 'document')).toEqual({
      rows: undefined,
      stale: false,
    })
  })

  it('shows the previous query’s rows, stale, while the new query loads', () => {
    expect(heldRows(undefined, shownAda, client, 'document')).toEqual({ rows: ada, stale: true })
  })

  it('shows the new query’s rows, fresh, once they arrive (an empty list too)', () => {
    expect(heldRows(grace, shownAda, client, 'document')).toEqual({ rows: grace, stale: false })
    expect(heldRows([], shownAda, client, 'document')).toEqual({ rows: [], stale: false })
  })

  it('never holds another client’s rows (the next user’s) or another type’s', () => {
    expect(heldRows(undefined, shownAda, other, 'document').rows).toBeUndefined()
    expect(heldRows(undefined, shownAda, client, 'person').rows).toBeUndefined()
  })
})
