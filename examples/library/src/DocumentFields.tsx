import type { DocumentFields } from './library-client.ts'

/** The three labelled inputs shared by the add and edit forms. */
export function FieldInputs(props: {
  value: DocumentFields
  onChange: (value: DocumentFields) => void
  autoFocus?: boolean
}) {
  const { value, onChange } = props
  return (
    <div className="fields">
      <label>
        <span>Title</span>
        <input
          required
          value={value.title}
          autoFocus={props.autoFocus}
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
