export {
  type Invite,
  isTidingsError,
  type Member,
  type Role,
  SCHEMA_REASONS,
  type SchemaReason,
  type Space,
  schemaReason,
  TidingsError,
} from '@tidings/protocol'
export { AccountMismatchError, UnsentChangesError } from './accounts/errors.js'
export { type OpenClientOptions, openClient } from './api/client.js'
export type { CreateOptions } from './api/transaction.js'
export type { Client, Operations, RefKeys, SignOutOptions } from './api/types.js'
export type { SqliteDatabase, SqliteStatement } from './driver/sqlite.js'
export type {
  AsOfView,
  HistoryEvent,
  HistoryOptions,
  HistoryResult,
  TruncateOptions,
  TruncateResult,
} from './history/types.js'
export type {
  DebugBundle,
  DecodedHlc,
  EventPage,
  EventQuery,
  HistoryStep,
  InspectedEvent,
  Inspector,
  LiveQueryTiming,
  LoggedError,
  OutboxEntry,
  OutboxPage,
  ResetOptions,
  ResetResult,
  SyncInfo,
} from './inspect/types.js'
export { Attr, type Conversion, type Kind, type KindValue, t } from './schema/attr.js'
export { defineSchema, type Schema } from './schema/define.js'
export type {
  Condition,
  CreateInput,
  Direction,
  Entity,
  OrderBy,
  Patch,
  Query,
  Shape,
  Shapes,
  Versioned,
  Where,
} from './schema/types.js'
export type { InviteOptions } from './spaces/space-routes.js'
export type { StoreHooks } from './store/store.js'
export type { UnreadableValue } from './store/unreadable.js'
export type { RejectedBundle } from './sync/rejected.js'
export type { TokenOption } from './sync/token-source.js'
export type {
  ServerOptions,
  SyncResult,
  SyncState,
  SyncStatus,
  VerifyResult,
} from './sync/types.js'
export {
  DEFAULT_UNDO_LIMIT,
  type UndoResult,
  type UndoState,
  type UndoTarget,
} from './undo/types.js'

import type { Schema } from './schema/define.js'
import type { Entity, Shapes } from './schema/types.js'
/** The object type of `type` in a schema: `EntityOf<typeof schema, 'document'>`. */
export type EntityOf<S, K extends string> =
  S extends Schema<infer T extends Shapes> ? Entity<T[K] & {}> : never
