import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { RelayError } from './errors.js'
import { assignRequestId } from './http/request-id.js'
import { createRelayHandler } from './http/relay-handler.js'
import { installErrorReplies } from './http/reply-error.js'
import type { RuntimeHolder } from './runtime.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address after the trusted-proxy rule (access/ip-access.ts). */
    clientIp: string
  }
}

export interface AppState {
  /** False while shutting down: /readyz answers 503 so load balancers stop sending. */
  accepting: boolean
}

/** Builds the Fastify app without listening; the CLI and the tests both call it. */
export function buildApp(holder: RuntimeHolder, state: AppState = { accepting: true }): FastifyInstance {
  const { config, logger } = holder.current
  const app = Fastify({
    // pino 10's Logger type is a superset Fastify's typings do not yet name; the instance is the same.
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // No per-request log lines from Fastify: the finish step logs what matters, off the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimit,
    genReqId: assignRequestId,
    // Streams may run for minutes; idle keep-alive sockets are closed at shutdown.
    keepAliveTimeout: 72_000,
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 1000 },
  })
  app.decorateRequest('clientIp', '')

  // Every body is kept as raw bytes: forwarded unchanged, parsed only where a stage needs a field.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  // IP rules run before any body is read.
  app.addHook('onRequest', (request, _reply, done) => {
    const ip = holder.current.ip
    request.clientIp = ip.clientIp(request.raw)
    if (ip.active && !ip.isAllowed(request.clientIp)) {
      done(new RelayError('RELAY_ERR_IP_FORBIDDEN', 'Requests from your address are not allowed.'))
      return
    }
    done()
  })

  installErrorReplies(app, holder)
  app.get('/healthz', (_request, reply) => reply.type('text/plain').send('ok'))
  app.get('/readyz', (_request, reply) => {
    const ready = state.accepting
    return reply.code(ready ? 200 : 503).send({ ready, config: 'loaded', routes: holder.current.routes.routes.length })
  })
  app.all('*', createRelayHandler(holder))
  return app
}
