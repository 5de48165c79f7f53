/** The SQL read model: current app data per space, for an app's own backend to query. */
export { type ProjectedListener, Projector, type ProjectorOptions } from './projector.js'
export { type RebuildProgress, rebuildReadModel } from './rebuild.js'
export {
  type AttributeSpec,
  loadSchemaFile,
  parseSchema,
  type ReadModelSchema,
  SchemaFileError,
} from './schema-file.js'
export { APP_SCHEMA, typedTable } from './typed-tables.js'
export { withReadModel } from './with-read-model.js'
