import { type Client, defineSchema, openClient, t } from '@tidings/client'
import { openNodeDatabase } from '@tidings/client/node'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { type ObservableClient, TidingsProvider } from './context.js'
import { type UndoControls, useUndo } from './hooks.js'

// Rendered on the server renderer like hooks.test.tsx (no DOM): it shows the hook's server
// snapshot (nothing to undo, as hydration must) and hands out the bound undo/redo; the state a
// browser shows next is the client's undoState(). The example app's e2e test clicks the
// buttons in Chromium.
const schema = defineSchema({ document: { author: t.string(), title: t.string() } })
type Library = typeof schema.types
const open = (): Promise<Client<Library>> =>
  openClient({ schema, database: openNodeDatabase(':memory:') })

let controls: UndoControls | undefined

function UndoButtons() {
  controls = useUndo()
  return <p>{`undo:${controls.canUndo} redo:${controls.canRedo}`}</p>
}

const render = (client: ObservableClient) =>
  renderToString(
    <TidingsProvider client={client}>
      <UndoButtons />
    </TidingsProvider>,
  )

describe('useUndo', () => {
  it('shows whether there is anything to undo or redo, and undoes and redoes', async () => {
    const client = await open()
    const state = () => `undo:${client.undoState().canUndo} redo:${client.undoState().canRedo}`
    expect(state()).toBe('undo:false redo:false')
    const doc = await client.create('document', { author: 'Ada', title: 'Draft' })
    await client.update('document', doc.id, { title: 'Final' })
    expect(state()).toBe('undo:true redo:false')
    // The server render shows nothing to undo, whatever the device holds.
    expect(render(client)).toBe('<p>undo:false redo:false</p>')

    expect((await controls!.undo()).done).toBe(true)
    expect((await client.get('document', doc.id))?.title).toBe('Draft')
    expect(state()).toBe('undo:true redo:true')
    await controls!.undo()
    expect(state()).toBe('undo:false redo:true')
    await controls!.redo()
    await controls!.redo()
    expect((await client.get('document', doc.id))?.title).toBe('Final')
    expect(state()).toBe('undo:true redo:false')
    await client.close()
  })

  it('re-renders on every change of the undo state: its snapshot follows onUndoState', async () => {
    const client = await open()
    const seen: boolean[] = []
    const off = client.onUndoState((state) => seen.push(state.canUndo))
    const before = client.undoState()
    expect(client.undoState()).toBe(before) // a stable snapshot while nothing changes
    await client.create('document', { author: 'Ada', title: 'One' })
    await client.undo()
    off()
    expect(seen).toEqual([true, false])
    await client.close()
  })

  it('throws a TidingsError for a client without undo', () => {
    const bare: ObservableClient = {
      observe: () => () => {},
      status: { state: 'idle', pending: 0, rejected: 0, lastSyncedAt: null },
      onStatus: () => () => {},
    }
    expect(() => render(bare)).toThrow(/useUndo/)
  })
})
