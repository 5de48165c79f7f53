import type { Member, Space } from '@tidings/client'
import { useCallback, useEffect, useState } from 'react'
import { inWords } from './errors.ts'
import type { LibraryClient } from './library-client.ts'

/** The members of a shared library with their role; an owner may remove the others. */
export function Members(props: { client: LibraryClient; space: Space; me: string | undefined }) {
  const { client, space } = props
  const [members, setMembers] = useState<Member[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = useCallback(async () => {
    try {
      setMembers(await client.members(space.id))
      setError(null)
    } catch (caught) {
      setError(inWords(caught))
    }
  }, [client, space.id])
  useEffect(() => {
    void load()
  }, [load])
  const remove = async (member: Member) => {
    try {
      await client.removeMember(space.id, member.user)
      await load()
    } catch (caught) {
      setError(inWords(caught))
    }
  }
  return (
    <section aria-label="Members">
      <h3>
        Members{' '}
        <button type="button" className="link" onClick={load}>
          Refresh
        </button>
      </h3>
      {members === null && !error && <p className="muted">Loading members…</p>}
      {members && (
        <ul aria-label="Members of this library" className="members">
          {members.map((member) => (
            <li key={member.user} aria-label={member.name}>
              {member.name} <span className="muted">{member.role}</span>
              {space.role === 'owner' && member.user !== props.me && (
                <button type="button" onClick={() => remove(member)}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  )
}
