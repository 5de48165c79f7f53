/** Stable error codes: programs branch on these, never on messages. */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /**
   * Client side only, never sent: `inspector().resetDevice()` or `signOut({ wipe: true })`
   * refused because this device holds writes the server does not have (still queued, or refused
   * and not discarded); they would be lost. `discardUnsent: true` goes ahead anyway.
   */
  unsent_changes: 409,
  /** A space's last owner cannot leave, be removed or be demoted (DESIGN §8). */
  last_owner: 409,
  /** An invite that expired or was used up (an unknown code is `not_found`). */
  gone: 410,
  too_large: 413,
  clock_drift: 422,
  /**
   * The client's app schema is older than the server accepts (`--min-schema-version`), or it
   * declares none: the user must update the app. `details: {minimum, schema}`.
   */
  schema_too_old: 426,
  rate_limited: 429,
  internal: 500,
  /**
   * Client side only, never sent: a server's 2xx answer this client cannot read or apply (a
   * server too new or broken). 502 as in a gateway's "bad answer from upstream".
   */
  bad_answer: 502,
  /**
   * Client side only, never sent: this device's database belongs to another user than the
   * token names (nothing was sent); open one database per user. 409 as a state conflict.
   */
  account_mismatch: 409,
  unavailable: 503,
  not_saved: 507,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[]

/** The JSON body of every refusal: `{ error: { code, message, details? } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown }
}

/**
 * The one error class of the protocol: wire errors are plain tagged data (`code`), and this
 * class carries them through both ends so callers can `switch (err.code)`.
 */
export class TidingsError extends Error {
  override readonly name = 'TidingsError'
  readonly code: ErrorCode
  readonly details: unknown

  constructor(code: ErrorCode, message: string, options?: { details?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options?.details
  }

  get status(): number {
    return ERROR_STATUS[this.code]
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message }
    if (this.details !== undefined) error.details = this.details
    return { error }
  }

  /** Rebuilds the error a server sent; an unrecognised body becomes `internal`. */
  static fromBody(body: unknown, status: number): TidingsError {
    const error = (body as Partial<ErrorBody> | null)?.error
    // Own keys only: `in` would accept "toString" and give the error a function as its status.
    if (error && typeof error.code === 'string' && Object.hasOwn(ERROR_STATUS, error.code)) {
      return new TidingsError(error.code, String(error.message ?? ''), { details: error.details })
    }
    return new TidingsError(
      BARE_STATUS_CODE[status] ?? (status >= 500 ? 'unavailable' : 'internal'),
      `server answered ${status} without a Tidings error body`,
    )
  }
}

/**
 * What a bodiless refusal (from a proxy or load balancer) means for the client: a 413 still says
 * "send less", a 401 still says "log in again"; any 5xx is worth retrying. 409 and 422 are left
 * out: without our body they are not our conflict or clock_drift.
 */
const BARE_STATUS_CODE: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'too_large',
  429: 'rate_limited',
}

export const isTidingsError = (value: unknown, code?: ErrorCode): value is TidingsError =>
  value instanceof TidingsError && (code === undefined || value.code === code)
