import type { Space } from '@tidings/client'

/** Which library the list shows and new documents go to: "" is My library (the private space). */
export function LibraryPicker(props: {
  shared: Space[]
  value: string | null
  onChange: (space: string | null) => void
}) {
  return (
    <label className="picker">
      Library
      <select
        aria-label="Library"
        value={props.value ?? ''}
        onChange={(event) => props.onChange(event.target.value || null)}
      >
        <option value="">My library</option>
        {props.shared.map((space) => (
          <option key={space.id} value={space.id}>
            {space.name} ({space.role})
          </option>
        ))}
      </select>
    </label>
  )
}
