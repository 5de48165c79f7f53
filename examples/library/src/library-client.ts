import type { BrowserClient } from '@tidings/client/browser'
import type { Library } from './schema.ts'

/** The client the components write through (the hooks read through the provider). */
export type LibraryClient = Pick<
  BrowserClient<Library>,
  | 'create'
  | 'update'
  | 'delete'
  | 'sync'
  | 'rejected'
  | 'discardRejected'
  | 'createSpace'
  | 'invite'
  | 'acceptInvite'
  | 'members'
  | 'removeMember'
  | 'leaveSpace'
  | 'inspector'
>

/** A document's editable fields, as the forms hold them (empty URL = none). */
export interface DocumentFields {
  title: string
  author: string
  url: string
}
