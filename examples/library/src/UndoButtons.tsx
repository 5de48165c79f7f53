import type { UndoResult } from '@tidings/client'
import { useUndo } from '@tidings/react'
import { useCallback, useEffect, useState } from 'react'

/** Typing in a field keeps the browser's own undo there. */
const typing = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))

const staleNote = (count: number): string =>
  `Kept ${count} change${count === 1 ? '' : 's'} made since on another device`

/**
 * Undo and Redo of this device's own changes (Core Data-style, see `client.undo()`), as buttons
 * and as Ctrl+Z / Ctrl+Shift+Z (⌘ on a Mac) outside text fields. A change someone made since on
 * another device is never overwritten: the note says what was kept.
 */
export function UndoButtons() {
  const { canUndo, canRedo, undo, redo } = useUndo()
  const [note, setNote] = useState<string | null>(null)
  const run = useCallback(
    (action: () => Promise<UndoResult>) => () => {
      action().then(
        (result) => setNote(result.stale.length === 0 ? null : staleNote(result.stale.length)),
        (error: unknown) => setNote(error instanceof Error ? error.message : String(error)),
      )
    },
    [],
  )

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== 'z') return
      if (typing(event.target)) return
      event.preventDefault()
      run(event.shiftKey ? redo : undo)()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [undo, redo, run])

  return (
    <div className="undo">
      <button
        type="button"
        onClick={run(undo)}
        disabled={!canUndo}
        aria-keyshortcuts="Control+Z"
        title="Undo your last change (Ctrl+Z)"
      >
        Undo
      </button>
      <button
        type="button"
        onClick={run(redo)}
        disabled={!canRedo}
        aria-keyshortcuts="Control+Shift+Z"
        title="Redo (Ctrl+Shift+Z)"
      >
        Redo
      </button>
      {note && (
        <span className="muted" role="status">
          {note}
        </span>
      )}
    </div>
  )
}
