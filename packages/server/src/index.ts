export { authenticate, type Caller } from './auth/authenticate.js'
export {
  type JwtIssuer,
  type JwtIssuerInput,
  parseJwtConfigText,
  parseJwtIssuers,
} from './auth/jwt/config.js'
export { JWT_REASONS, type JwtReason } from './auth/jwt/reasons.js'
export { hashToken, newToken } from './auth/token.js'
export { addUser, listUsers, type NewUser, revokeUser } from './auth/users.js'
export { DEFAULT_DB, DEFAULT_PORT } from './defaults.js'
export { type AppDeps, buildApp } from './http/app.js'
export { DEFAULT_RATE_LIMIT, parseRateLimit, type RateLimit } from './http/rate-limit-option.js'
export { parseTrustProxy, type TrustProxy } from './http/trust-proxy.js'
export {
  APP_SCHEMA,
  loadSchemaFile,
  type ProjectedListener,
  Projector,
  type ProjectorOptions,
  parseSchema,
  type ReadModelSchema,
  type RebuildProgress,
  rebuildReadModel,
  SchemaFileError,
  typedTable,
} from './read-model/index.js'
export { type RunningServer, type ServerOptions, startServer } from './server.js'
export { openStore } from './store/kysely-store.js'
export type { Page, PullOptions, PushResult, Store, UserInfo } from './store/store.js'
export type { DeletionSpace, UserDeletion } from './store/users/delete-user.js'
export type { WriterState } from './store/writers/writers.js'
export type { WriteOp } from './writer/ops.js'
export {
  openServerWriter,
  type ServerWriter,
  type ServerWriterOptions,
  type WriteOptions,
  type WriteResult,
  type Written,
} from './writer/server-writer.js'
