import type {
  Entity,
  Query,
  Shapes,
  Space,
  SyncStatus,
  UndoResult,
  UndoState,
} from '@tidings/client'
import { TidingsError } from '@tidings/protocol'
import { createContext, type ReactNode, useContext } from 'react'

/**
 * Declare your schema once to type every hook:
 * `declare module '@tidings/react' { interface Register { schema: typeof schema.types } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the app through declaration merging.
export interface Register {}

/** The registered schema's shapes, or any shapes when none is registered. */
export type RegisteredShapes = Register extends { schema: infer S extends Shapes } ? S : Shapes
export type TypeName = keyof RegisteredShapes & string
export type EntityOfType<K extends TypeName> = Entity<RegisteredShapes[K]>
export type QueryOfType<K extends TypeName> = Query<RegisteredShapes[K]>

/**
 * What the hooks need of a client: satisfied by the in-process `Client` and by the browser
 * client's worker proxy alike.
 */
export interface ObservableClient {
  observe(type: string, query: object, callback: (rows: unknown[]) => void): () => void
  readonly status: SyncStatus
  onStatus(listener: (status: SyncStatus) => void): () => void
  /** For `useSpaces` (both clients have them; a stand-in client may leave them out). */
  cachedSpaces?(): Space[]
  observeSpaces?(callback: (spaces: Space[]) => void): () => void
  spaces?(): Promise<Space[]>
  /** For `useUndo` (both clients have them). */
  undo?(): Promise<UndoResult>
  redo?(): Promise<UndoResult>
  undoState?(): UndoState
  onUndoState?(listener: (state: UndoState) => void): () => void
}

const TidingsContext = createContext<ObservableClient | null>(null)

/** Makes `client` available to the hooks below it. */
export function TidingsProvider(props: { client: ObservableClient; children?: ReactNode }) {
  return <TidingsContext.Provider value={props.client}>{props.children}</TidingsContext.Provider>
}

/** The client from the nearest `TidingsProvider`; throws when there is none. */
export function useTidings(): ObservableClient {
  const client = useContext(TidingsContext)
  if (!client) {
    throw new TidingsError(
      'internal',
      'Tidings hooks need a <TidingsProvider client={…}> above them',
    )
  }
  return client
}
