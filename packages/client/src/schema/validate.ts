// See attr.ts: write validation lives in the protocol, shared with the server's writer.
export { checkCreate, checkPatch, type Writes } from '@tidings/protocol'
