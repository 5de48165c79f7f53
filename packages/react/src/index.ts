export {
  type EntityOfType,
  type ObservableClient,
  type QueryOfType,
  type Register,
  type RegisteredShapes,
  TidingsProvider,
  type TypeName,
  useTidings,
} from './context.js'
export {
  type QueryResult,
  type UndoControls,
  useEntity,
  useQuery,
  useQueryResult,
  useSpaces,
  useSuspenseQuery,
  useSyncStatus,
  useUndo,
} from './hooks.js'
export { type LiveQuery, liveQuery } from './live-query.js'
