import { useEffect, useRef } from 'react'
import type { DocumentFields } from './library-client.ts'

/** The three labelled inputs shared by the add and edit forms. */
export function FieldInputs(props: {
  value: DocumentFields
  onChange: (value: DocumentFields) => void
  /** Focus the title on mount: the user just asked to edit (so not the a11y autoFocus trap). */
  focusTitle?: boolean
}) {
  const { value, onChange, focusTitle } = props
  const title = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (focusTitle) title.current?.focus()
  }, [focusTitle])
  return (
    <div className="fields">
      <label>
        <span>Title</span>
        <input
          required
          value={value.title}
          ref={title}
          onChange={(e) => onChange({ ...value, title: e.target.value })}
        />
      </label>
      <label>
        <span>Author</span>
        <input
          required
          value={value.author}
          onChange={(e) => onChange({ ...value, author: e.target.value })}
        />
      </label>
      <label>
        <span>URL</span>
        <input
          type="url"
          placeholder="https://…"
          value={value.url}
          onChange={(e) => onChange({ ...value, url: e.target.value })}
        />
      </label>
    </div>
  )
}
