// See attr.ts: reading another app version's values lives in the protocol.
export { readAs, UNREADABLE } from '@tidings/protocol'
