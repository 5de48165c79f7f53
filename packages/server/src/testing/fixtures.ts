import { type Bundle, type Event, HybridClock, type JsonValue, newId } from '@tidings/protocol'

/** A device for tests: its own id and clock, making valid bundles. */
export class TestClient {
  readonly id = newId()
  readonly clock: HybridClock

  constructor(now: () => number = Date.now) {
    this.clock = new HybridClock({ node: this.id, now })
  }

  event(
    fields: { entity?: string; attribute?: string; value?: JsonValue; id?: string } = {},
  ): Event {
    return {
      id: fields.id ?? newId(),
      type: 'document',
      entity: fields.entity ?? newId(),
      attribute: fields.attribute ?? 'title',
      value: fields.value ?? 'hello',
      hlc: this.clock.send(),
      client: this.id,
    }
  }

  /** A bundle of `count` events (or the given ones); its hlc is the greatest event hlc. */
  bundle(options: { count?: number; events?: Event[]; value?: JsonValue } = {}): Bundle {
    const events =
      options.events ??
      Array.from({ length: options.count ?? 1 }, () =>
        this.event(options.value === undefined ? {} : { value: options.value }),
      )
    // HLCs sort bytewise, so the greatest is the last in plain string order.
    const hlc =
      events
        .map((e) => e.hlc)
        .sort()
        .at(-1) ?? ''
    return { id: newId(), client: this.id, hlc, events }
  }

  syncBody(bundles: Bundle[], cursor: string | null = null) {
    return { client: this.id, hlc: this.clock.send(), cursor, bundles }
  }
}
