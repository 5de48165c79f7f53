/** Size limits every boundary enforces; all configurable, all refused with a clear code. */
export interface Limits {
  /** Largest request body, bytes. */
  maxBodyBytes: number
  /** Bundles in one `POST /v1/sync`. */
  maxBundlesPerRequest: number
  /** Events in one bundle (one local transaction). */
  maxEventsPerBundle: number
  /** Largest event value, bytes of its JSON text. */
  maxValueBytes: number
  /** Bundle ids in one `POST /v1/bundles/get`. */
  maxIdsPerRequest: number
  /** Largest page a pull may ask for. */
  maxPageBundles: number
  /** How far ahead of the server clock an HLC may be, ms. */
  maxDriftMs: number
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxBundlesPerRequest: 1_000,
  maxEventsPerBundle: 10_000,
  maxValueBytes: 256 * 1024,
  maxIdsPerRequest: 10_000,
  maxPageBundles: 1_000,
  maxDriftMs: 5 * 60_000,
}

/** Deepest nesting accepted inside an event value. */
export const MAX_VALUE_DEPTH = 64
