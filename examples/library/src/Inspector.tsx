import type {
  Inspector as ClientInspector,
  DecodedHlc,
  EventPage,
  HistoryStep,
  LiveQueryTiming,
  OutboxPage,
  RejectedBundle,
  SyncInfo,
} from '@tidings/client'
import { useQuery, useSyncStatus } from '@tidings/react'
import { useCallback, useEffect, useState } from 'react'

/** What the panel shows, read again whenever the sync status changes or on "Refresh". */
interface Snapshot {
  sync: SyncInfo
  outbox: OutboxPage
  refused: RejectedBundle[]
  liveQueries: LiveQueryTiming[]
}

const hlcText = (hlc: DecodedHlc) => `${hlc.time} #${hlc.counter} ${hlc.node.slice(-8)}`
const ms = (value: number) => `${value.toFixed(2)} ms`
const json = (value: unknown) => JSON.stringify(value)

/**
 * The developer inspector (`client.inspector()`): sync status and errors, cursor and spaces,
 * the outbox, refused changes, a document's events (HLCs decoded) and history, live-query
 * timings, a debug bundle to download and "Reset this device and resync". It answers in every
 * tab (the calls go to the tab that owns the database); nothing it shows holds the token.
 */
export default function Inspector(props: { inspector: ClientInspector; onClose: () => void }) {
  const { inspector } = props
  const status = useSyncStatus()
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null)
  const [error, setError] = useState<string | null>(null)
  const fail = useCallback(
    (caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)),
    [],
  )

  const refresh = useCallback(async () => {
    try {
      const [sync, outbox, refused, liveQueries] = await Promise.all([
        inspector.sync(),
        inspector.outbox({ limit: 20, eventsPerBundle: 5 }),
        inspector.refused(),
        inspector.liveQueries(),
      ])
      setSnapshot({ sync, outbox, refused, liveQueries })
    } catch (caught) {
      fail(caught)
    }
  }, [inspector, fail])
  // biome-ignore lint/correctness/useExhaustiveDependencies: the status is the refresh signal
  useEffect(() => {
    void refresh()
  }, [refresh, status])

  const download = async () => {
    try {
      const bundle = await inspector.debugBundle()
      const url = URL.createObjectURL(
        new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' }),
      )
      const link = document.createElement('a')
      link.href = url
      link.download = `tidings-debug-${bundle.createdAt.replaceAll(':', '-')}.json`
      link.click()
      URL.revokeObjectURL(url)
    } catch (caught) {
      fail(caught)
    }
  }

  const reset = async () => {
    const sure = window.confirm(
      'Reset this device? Its copy of the library is deleted and pulled again from the server.',
    )
    if (!sure) return
    try {
      await inspector.resetDevice()
      setError(null)
      await refresh()
    } catch (caught) {
      fail(caught)
    }
  }

  const sync = snapshot?.sync
  return (
    <aside className="inspector card" aria-label="Inspector">
      <header className="inspector-head">
        <h2>Inspector</h2>
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
        <button type="button" onClick={() => void download()}>
          Download debug bundle
        </button>
        <button type="button" className="danger" onClick={() => void reset()}>
          Reset this device and resync
        </button>
        <button type="button" aria-label="Close the inspector" onClick={props.onClose}>
          ×
        </button>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {sync && (
        <section aria-label="Sync">
          <h3>Sync</h3>
          <dl>
            <dt>Status</dt>
            <dd>
              {sync.status.state}, {sync.status.pending} pending, {sync.status.rejected} refused
              {/* The owner's status has no tab; this tab's own status says which one it is. */}
              {status.connection && ` (connection: ${status.connection})`}
            </dd>
            <dt>Client</dt>
            <dd>
              <code>{sync.clientId}</code>
            </dd>
            <dt>Cursor</dt>
            <dd>
              <code>{sync.cursor ?? 'none yet'}</code>
            </dd>
            <dt>Last HLC</dt>
            <dd>{sync.lastHlc ? hlcText(sync.lastHlc) : 'none'}</dd>
            <dt>Clock offset</dt>
            <dd>{sync.clockOffsetMs} ms</dd>
            <dt>Spaces</dt>
            <dd>
              {sync.spaces.map((s) => `${s.private ? 'private' : s.name} (${s.role})`).join(', ') ||
                'none known'}
            </dd>
          </dl>
          <h3>Last errors</h3>
          {sync.lastErrors.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul aria-label="Last errors">
              {sync.lastErrors.map((e) => (
                <li key={`${e.at}-${e.code}`}>
                  {e.at} {e.source} <code>{e.code}</code> {e.message}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {snapshot && (
        <section aria-label="Outbox and refused">
          <h3>
            Outbox <span className="count">{snapshot.outbox.total}</span>
          </h3>
          <ul>
            {snapshot.outbox.entries.map((entry) => (
              <li key={entry.bundle}>
                {hlcText(entry.hlc)}: {entry.eventCount} event(s),{' '}
                {entry.events.map((e) => `${e.attribute}=${json(e.value)}`).join(' ')}
              </li>
            ))}
          </ul>
          <h3>
            Refused <span className="count">{snapshot.refused.length}</span>
          </h3>
          <ul>
            {snapshot.refused.map((r) => (
              <li key={r.id}>
                <code>{r.code}</code> {r.message} ({r.events.length} event(s))
              </li>
            ))}
          </ul>
          <h3>Live queries</h3>
          <table className="timings">
            <thead>
              <tr>
                <th>type</th>
                <th>query</th>
                <th>runs</th>
                <th>rows</th>
                <th>last</th>
                <th>median</th>
              </tr>
            </thead>
            <tbody>
              {snapshot.liveQueries.map((q, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: queries have no identity of their own
                <tr key={i}>
                  <td>{q.type}</td>
                  <td>
                    <code>{json(q.query)}</code>
                  </td>
                  <td>{q.runs}</td>
                  <td>{q.rows}</td>
                  <td>{ms(q.lastMs)}</td>
                  <td>{ms(q.medianMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <DocumentEvents inspector={inspector} refresh={status} />
    </aside>
  )
}

/** One document's events (newest first, HLCs decoded, winners marked) and its history. */
function DocumentEvents(props: { inspector: ClientInspector; refresh: unknown }) {
  const { inspector, refresh } = props
  const documents = useQuery('document', { orderBy: [{ title: 'asc' }, { id: 'asc' }] })
  const [chosen, setChosen] = useState<string>('')
  const id = chosen || documents?.[0]?.id || ''
  const [events, setEvents] = useState<EventPage | null>(null)
  const [history, setHistory] = useState<HistoryStep[]>([])
  // biome-ignore lint/correctness/useExhaustiveDependencies: `refresh` is the signal to read again
  useEffect(() => {
    if (!id) return
    let current = true
    Promise.all([
      inspector.events({ type: 'document', id, limit: 50 }),
      inspector.history('document', id),
    ]).then(
      ([page, steps]) => {
        if (!current) return
        setEvents(page)
        setHistory(steps)
      },
      (error: unknown) => console.error('inspector: could not read the events', error),
    )
    return () => {
      current = false
    }
  }, [inspector, id, refresh, documents])
  return (
    <section aria-label="Document events">
      <h3>Events of a document</h3>
      <label className="picker">
        Document{' '}
        <select value={id} onChange={(event) => setChosen(event.target.value)}>
          {(documents ?? []).map((d) => (
            <option key={d.id} value={d.id}>
              {d.title}
            </option>
          ))}
        </select>
      </label>
      {id && events && (
        <table className="events" aria-label="Events">
          <thead>
            <tr>
              <th>time (HLC)</th>
              <th>counter</th>
              <th>device</th>
              <th>attribute</th>
              <th>value</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {events.events.map((e) => (
              <tr key={e.id} data-wins={e.wins}>
                <td>{e.hlc.time}</td>
                <td>{e.hlc.counter}</td>
                <td title={e.hlc.node}>{e.hlc.node.slice(-8)}</td>
                <td>{e.attribute}</td>
                <td>
                  <code>{json(e.value)}</code>
                </td>
                <td>
                  {e.wins ? 'wins' : 'overwritten'}
                  {e.acknowledged ? '' : ', unsent'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {history.length > 0 && (
        <>
          <h3>History</h3>
          <ol aria-label="History">
            {history.map((step) => (
              <li key={`${step.bundle}-${step.hlc.text}`}>
                {step.hlc.time}: {json(step.changed)}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  )
}
