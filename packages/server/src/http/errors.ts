import { type ErrorCode, TidingsError } from '@tidings/protocol'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isUnavailable } from '../store/dialects/family.js'

/** Fastify's own refusals (body parsing, content type, size) in our codes. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'bad_request',
    message: 'the body is not valid JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'bad_request',
    message: 'the JSON body is empty',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'bad_request',
    message: 'unsupported content type: send application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'too_large',
    message: 'the body is larger than the server accepts',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'bad_request',
    message: 'content-length does not match the body',
  },
}

const codeForStatus = (status: number): ErrorCode =>
  status === 401
    ? 'unauthorized'
    : status === 404
      ? 'not_found'
      : status === 413
        ? 'too_large'
        : status === 429
          ? 'rate_limited'
          : 'bad_request'

/**
 * The one place errors become responses: a `TidingsError` answers its status and body; a
 * framework 4xx is mapped to our codes; anything else is logged and answered as a plain 500
 * that reveals nothing.
 */
export const handleError = (err: unknown, request: FastifyRequest, reply: FastifyReply): void => {
  if (err instanceof TidingsError) {
    if (err.status >= 500) request.log.error({ err }, 'request failed')
    void reply.status(err.status).send(err.toBody())
    return
  }
  const fastifyError = err as Partial<FastifyError>
  const known = fastifyError.code ? FRAMEWORK_ERRORS[fastifyError.code] : undefined
  if (known) {
    void reply.status(known.status).send(new TidingsError(known.code, known.message).toBody())
    return
  }
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    const tidings = new TidingsError(
      codeForStatus(status),
      fastifyError.message ?? 'request refused',
    )
    void reply.status(status).send(tidings.toBody())
    return
  }
  if (isUnavailable(err)) {
    // Lost or exhausted database connections are the server's trouble, but retryable: 503
    // tells clients to back off and try again, where a 500 says the request itself broke.
    request.log.error({ err }, 'database unavailable')
    void reply.status(503).send(
      new TidingsError('unavailable', 'the database is unavailable; retry later', {
        cause: err,
      }).toBody(),
    )
    return
  }
  request.log.error({ err }, 'unexpected error')
  void reply.status(500).send(new TidingsError('internal', 'internal server error').toBody())
}

export const handleNotFound = (request: FastifyRequest, reply: FastifyReply): void => {
  void reply
    .status(404)
    .send(
      new TidingsError(
        'not_found',
        `no route ${request.method} ${request.url.split('?')[0]}`,
      ).toBody(),
    )
}
