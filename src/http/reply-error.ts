import type { FastifyError, FastifyInstance } from 'fastify'
import { RelayError } from '../errors.js'
import { pathnameOf } from './pathname.js'
import type { RuntimeHolder } from '../runtime.js'

/** Fastify's own errors (on the gateway's endpoints; the relay answers its own) in our catalogue's terms. */
function fromFastifyError(error: FastifyError): RelayError {
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new RelayError('RELAY_ERR_BAD_REQUEST', error.message, { cause: error })
  }
  return new RelayError('RELAY_ERR_INTERNAL', 'The gateway failed to handle this request.', { cause: error })
}

/** The one place an error becomes a response: OpenAI's `{ error: { message, type, param, code } }`, never a key. */
export function installErrorReplies(app: FastifyInstance, holder: RuntimeHolder): void {
  app.setErrorHandler((error: FastifyError | RelayError, request, reply) => {
    const relayError = error instanceof RelayError ? error : fromFastifyError(error)
    if (relayError.status >= 500) request.log.error({ err: relayError.cause ?? relayError, code: relayError.code }, relayError.message)
    else request.log.debug({ code: relayError.code }, relayError.message)
    const cors = holder.current.corsOrigin
    if (cors !== undefined) void reply.header('access-control-allow-origin', cors)
    if (relayError.headers) void reply.headers(relayError.headers)
    void reply.header('x-relay-request-id', request.id)
    return reply.code(relayError.status).send(relayError.toBody())
  })
  app.setNotFoundHandler((request, reply) => {
    const error = new RelayError('RELAY_ERR_NO_ROUTE', `No route serves ${request.method} ${pathnameOf(request.url)}.`)
    return reply.code(error.status).send(error.toBody())
  })
}
