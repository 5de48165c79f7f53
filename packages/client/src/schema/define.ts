// See attr.ts: the declaration lives in the protocol.
export {
  type CompoundIndexes,
  defineSchema,
  RESERVED,
  type Schema,
  type SchemaOptions,
} from '@tidings/protocol'
