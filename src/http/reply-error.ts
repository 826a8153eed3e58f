import type { FastifyError, FastifyInstance } from 'fastify'
import { RelayError } from '../errors.js'
import type { RuntimeHolder } from '../runtime.js'
import { pathnameOf } from './pathname.js'
import { sendRelayError } from './send-error.js'

/** Fastify's own errors (on the gateway's endpoints; the relay answers its own) in our catalogue's terms. */
function fromFastifyError(error: FastifyError): RelayError {
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new RelayError('RELAY_ERR_BAD_REQUEST', error.message, { cause: error })
  }
  return new RelayError('RELAY_ERR_INTERNAL', 'The gateway failed to handle this request.', { cause: error })
}

/** Errors on the gateway's own endpoints leave through the relay's one error writer (send-error.ts). */
export function installErrorReplies(app: FastifyInstance, holder: RuntimeHolder): void {
  app.setErrorHandler((error: FastifyError | RelayError, request, reply) => {
    const relayError = error instanceof RelayError ? error : fromFastifyError(error)
    if (relayError.status >= 500) request.log.error({ err: relayError.cause ?? relayError, code: relayError.code }, relayError.message)
    reply.hijack()
    sendRelayError(reply.raw, relayError, request.id, holder.current.corsOrigin)
  })
  app.setNotFoundHandler((request, reply) => {
    reply.hijack()
    const error = new RelayError('RELAY_ERR_NO_ROUTE', `No route serves ${request.method} ${pathnameOf(request.url)}.`)
    sendRelayError(reply.raw, error, request.id, holder.current.corsOrigin)
  })
}
