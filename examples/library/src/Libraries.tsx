import type { Space } from '@tidings/client'
import { JoinLibrary } from './JoinLibrary.tsx'
import { LibraryPicker } from './LibraryPicker.tsx'
import type { LibraryClient } from './library-client.ts'
import { NewLibrary } from './NewLibrary.tsx'

/** The library bar: which library is shown, plus creating and joining shared ones. */
export function Libraries(props: {
  client: LibraryClient
  shared: Space[]
  value: string | null
  onChange: (space: string | null) => void
}) {
  const choose = (space: Space) => props.onChange(space.id)
  return (
    <section className="card libraries" aria-label="Libraries">
      <LibraryPicker shared={props.shared} value={props.value} onChange={props.onChange} />
      <NewLibrary client={props.client} onCreated={choose} />
      <JoinLibrary client={props.client} onJoined={choose} />
    </section>
  )
}
