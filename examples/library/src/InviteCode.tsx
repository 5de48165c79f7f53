import { useState } from 'react'
import { inWords } from './errors.ts'
import type { LibraryClient } from './library-client.ts'

/** "Invite": a fresh writer's code for this library, valid a week, to copy or send as a link. */
export function InviteCode(props: { client: LibraryClient; space: string }) {
  const [code, setCode] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [copied, setCopied] = useState(false)
  const invite = async () => {
    try {
      setCode(await props.client.invite(props.space, 'writer', { expiresInSeconds: 7 * 86_400 }))
      setError(null)
      setCopied(false)
    } catch (caught) {
      setError(inWords(caught))
    }
  }
  const copy = async () => {
    if (!code) return
    try {
      await navigator.clipboard.writeText(code)
      setCopied(true)
    } catch {
      setError('The clipboard is not available here: select the code and copy it.')
    }
  }
  const link = code && `${location.origin}${location.pathname}?invite=${encodeURIComponent(code)}`
  return (
    <div className="invite">
      <button type="button" onClick={invite}>
        Invite
      </button>
      {code && link && (
        <>
          <input aria-label="Invite code for this library" readOnly value={code} />
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy code'}
          </button>
          <a href={link}>Invite link</a>
        </>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
