import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { hashToken } from './access/client-keys.js'
import { RelayError } from './errors.js'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { pathnameOf } from './http/pathname.js'
import { answerClientError } from './http/client-error.js'
import { createRelayListener } from './http/relay-handler.js'
import { installErrorReplies } from './http/reply-error.js'
import { assignRequestId } from './http/request-id.js'
import type { RuntimeHolder } from './runtime.js'
import type { Config } from './config/schema.js'

export interface AppState {
  /** False while shutting down: /readyz answers 503 so load balancers stop sending. */
  accepting: boolean
}

/** The gateway's own endpoints, served by Fastify; every other path is relayed. They shadow upstream paths of the same name. */
const gatewayEndpoints = new Set(['/healthz', '/readyz', '/metrics', '/v1/metrics'])

function isGatewayEndpoint(url: string | undefined): boolean {
  return url !== undefined && gatewayEndpoints.has(pathnameOf(url))
}

/** Builds the app without listening; the CLI and the tests both call it. */
/** `metricsText`: where /metrics comes from when not this process alone (a worker of `--workers` asks the primary for the sum). */
export function buildApp(holder: RuntimeHolder, state: AppState = { accepting: true }, metricsText: () => Promise<{ contentType: string; body: string }> = () => holder.metrics.text()): FastifyInstance {
  const { logger } = holder.current
  const relay = createRelayListener(holder)
  const app = Fastify({
    // pino 10's Logger type is a superset Fastify's typings do not yet name; the instance is the same.
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // No per-request log lines from Fastify: the relay's finish step logs what matters.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: assignRequestId,
    // Streams may run for minutes; idle keep-alive sockets are closed at shutdown.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    serverFactory: (fastifyHandler) =>
      createServer(serverTimeouts(holder.current.config.server), (request: IncomingMessage, response: ServerResponse) => {
        if (isGatewayEndpoint(request.url)) fastifyHandler(request, response)
        else relay(request, response)
      }),
  })
  installErrorReplies(app, holder)
  app.get('/healthz', (_request, reply) => reply.type('text/plain').send('ok'))
  app.get('/readyz', (_request, reply) => {
    const ready = state.accepting
    return reply.code(ready ? 200 : 503).send({ ready, config: 'loaded', routes: holder.current.routes.routes.length })
  })
  // Prometheus text; /v1/metrics is where openai-api-route serves it.
  const metrics = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = holder.current.config.metrics.token
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      throw new RelayError('RELAY_ERR_UNAUTHORIZED', 'The metrics need Authorization: Bearer <metrics.token>.')
    }
    const { contentType, body } = await metricsText()
    return reply.type(contentType).send(body)
  }
  app.get('/metrics', metrics)
  app.get('/v1/metrics', metrics)
  return app
}

/**
 * The listener's own limits on slow clients (slowloris): headers and whole requests must arrive in
 * bounded time. Node checks them on an interval, so the interval is a fraction of the shorter one.
 */
function serverTimeouts(server: Readonly<Config['server']>) {
  const { headersTimeout, requestTimeout } = server
  const shortest = requestTimeout > 0 ? Math.min(headersTimeout, requestTimeout) : headersTimeout
  return {
    keepAliveTimeout: 72_000,
    noDelay: true,
    // Node requires requestTimeout >= headersTimeout when both are set.
    headersTimeout,
    requestTimeout: requestTimeout > 0 ? Math.max(requestTimeout, headersTimeout) : 0,
    connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(shortest / 4))),
  }
}

/** Compared by digest, as client tokens are: the time taken says nothing about the token. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = header !== undefined && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : undefined
  return presented !== undefined && hashToken(presented) === hashToken(token)
}
