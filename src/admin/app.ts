import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import { RelayError } from '../errors.js'
import { answerClientError } from '../http/client-error.js'
import type { Logger } from '../log.js'
import type { Reloader } from '../reload.js'
import type { RuntimeHolder } from '../runtime.js'
import type { ConfigEditor } from '../config/edit/apply.js'
import type { ConfigInput } from '../config/schema.js'
import type { AuditEntry, AuditStore, RecordStore } from '../storage/types.js'
import { callerOf, type Caller } from './auth.js'
import type { AdminCredentials } from './credentials.js'
import { configRoutes } from './routes/config.js'
import { auditRoutes } from './routes/audit.js'
import { requestRoutes } from './routes/requests.js'
import { eventRoutes } from './routes/events.js'
import { sessionRoutes } from './routes/session.js'
import { playgroundRoutes } from './routes/playground.js'
import { metaRoutes } from './routes/meta.js'
import { contentSecurityPolicy, uiFiles } from './ui-files.js'
import { LoginThrottle } from './throttle.js'
import { SessionBook } from './sessions.js'

export interface AdminDeps {
  holder: RuntimeHolder
  reloader: Reloader
  credentials: AdminCredentials
  /** The config file's editor; undefined when the config is not in a file (embedded defaults, environment variables). */
  editor: ConfigEditor | undefined
  /** The config as loaded, before defaults: shown read-only when there is no file to edit. */
  native: ConfigInput
  /** Every admin action is written here (beside the records). */
  audit: AuditStore
  /** The request records, read (the writer is the gateway's); undefined when records are off. */
  records: RecordStore | undefined
  /** http://host:port of the gateway's relay listener: the playground's chats go through it like any client's. */
  relayUrl: string
  logger: Logger
}

/** What every admin route gets: its dependencies and the caller of the request. */
export interface AdminContext extends AdminDeps {
  sessions: SessionBook
  throttle: LoginThrottle
  caller(request: Parameters<typeof callerOf>[0]): Caller | undefined
  /** Writes an audit entry; a log that cannot be written is logged, never fails the action it records. */
  record(entry: Omit<AuditEntry, 'time'>): Promise<void>
}

/**
 * The admin API (issue 15), a Fastify instance of its own on its own listener, never the relay's
 * port: nothing here can be reached by the clients of the gateway. Every body has a schema; every
 * error has OpenAI's shape with a stable code (docs/errors.md).
 */
export function buildAdminApp(deps: AdminDeps): FastifyInstance {
  const admin = deps.holder.current.config.admin!
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 4 * 1024 * 1024,
    // A request Node's parser refuses (a raw Latin-1 byte in the URL) is answered as on the relay's port, not in Fastify's shape.
    clientErrorHandler: answerClientError,
    // A URL the router cannot decode (`/admin/api/requests/%zz`) gets the catalogue's error shape too, not Fastify's own.
    frameworkErrors: (error, _request, reply) => void (reply as FastifyReply).code(400).send(new RelayError('RELAY_ERR_BAD_REQUEST', error.message).toBody()),
  })
  const sessions = new SessionBook(admin.sessionIdle, admin.sessionMax)
  const context: AdminContext = {
    ...deps,
    sessions,
    throttle: new LoginThrottle(),
    caller: (request) => callerOf(request, deps.credentials, sessions),
    record: (entry) => deps.audit.append({ time: Date.now(), ...entry }).catch((error: unknown) => deps.logger.error({ err: error, action: entry.action }, 'the admin audit log could not be written')),
  }
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, _request, reply) => {
    const relayError =
      error instanceof RelayError
        ? error
        : error.validation !== undefined || (error.statusCode !== undefined && error.statusCode < 500)
          ? new RelayError('RELAY_ERR_BAD_REQUEST', error.message)
          : new RelayError('RELAY_ERR_INTERNAL', 'The admin API failed to handle this request.', { cause: error })
    if (relayError.status >= 500) deps.logger.error({ err: error }, 'admin API failed')
    void reply
      .code(relayError.status)
      .headers(relayError.headers ?? {})
      .send(relayError.toBody())
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(new RelayError('RELAY_ERR_ADMIN_NOT_FOUND', `No admin endpoint ${request.method} ${request.url.split('?')[0]}.`).toBody())
  })
  // Answers of the admin API are never cached (the UI's files say their own), never framed or sniffed, and run nothing from elsewhere.
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store')
    void reply
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('content-security-policy', contentSecurityPolicy)
      .header('referrer-policy', 'no-referrer')
  })
  // ajv coerces "1e400" to Infinity and then skips its integer and range checks (they test finite numbers only).
  app.addHook('preHandler', async (request) => {
    const given = [...Object.values((request.query ?? {}) as Record<string, unknown>), ...Object.values((request.params ?? {}) as Record<string, unknown>)]
    if (given.some((value) => typeof value === 'number' && !Number.isFinite(value))) throw new RelayError('RELAY_ERR_BAD_REQUEST', 'A number in the query or the path is not finite.')
  })
  void app.register(uiFiles)
  metaRoutes(app, context)
  sessionRoutes(app, context)
  configRoutes(app, context)
  auditRoutes(app, context)
  requestRoutes(app, context, deps.records)
  eventRoutes(app, context)
  playgroundRoutes(app, context)
  app.addHook('onClose', async () => {
    await deps.audit.close()
    await deps.records?.close()
  })
  return app
}
