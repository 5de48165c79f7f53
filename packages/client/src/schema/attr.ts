// The schema declaration lives in the protocol, so the server's writer types its writes from
// the same `defineSchema` the app uses; the client re-exports it where its own code looks.
export {
  type AnyAttr,
  Attr,
  type Conversion,
  type Kind,
  type KindValue,
  t,
} from '@tidings/protocol'
