import type { FastifyInstance } from 'fastify'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { buildApp, type AppState } from './app.js'
import { trackConnections } from './http/idle-connections.js'
import { exitOnSignals } from './exit-on-signals.js'
import { loadConfig, type LoadedConfig, type LoadOptions } from './config/load.js'
import { createLogger, type Logger } from './log.js'
import { startReloader, type LocalReloader, type Reloader, type ReloadResult } from './reload.js'
import type { Backends } from './backends.js'
import { buildAdminApp } from './admin/app.js'
import { resolveCredentials } from './admin/credentials.js'
import { ConfigEditor } from './config/edit/apply.js'
import { openAuditStore } from './storage/audit-store.js'
import { openRecordStore } from './records/open.js'
import { RuntimeHolder } from './runtime.js'

export interface Gateway {
  app: FastifyInstance
  holder: RuntimeHolder
  loaded: LoadedConfig
  /** http://host:port the gateway listens on (127.0.0.1 when bound to every address). */
  url: string
  /** This process's own reloads (a worker's primary calls reloadOrExplain on it). */
  reloader: LocalReloader
  /** The admin UI and API, when on: where they listen, and the file a generated admin password is in. */
  admin: { url: string; app: FastifyInstance; passwordFile: string | undefined } | undefined
  /** Stops accepting, lets requests in flight finish up to server.shutdownTimeout, then closes. */
  shutdown(): Promise<void>
}

export interface StartOptions extends LoadOptions {
  logger?: Logger
  /** Also handle SIGTERM/SIGINT by shutting down and exiting (the CLI does; tests do not). */
  handleSignals?: boolean
  /** A worker of `--workers` (cluster/worker.ts): the primary's backends, reloads and metrics. */
  worker?: WorkerHooks
}

/** What a worker of `--workers` gets from its primary instead of doing it itself. */
export interface WorkerHooks {
  backends: Backends
  /** The admin UI's reloads, which the primary passes to every worker. */
  reloadAll(reason: string): Promise<ReloadResult>
  /** /metrics: the whole gateway's, summed by the primary. */
  metricsText(): Promise<{ contentType: string; body: string }>
  /** Whether this worker serves the admin UI (one does: its sessions and throttle live in one process). */
  serveAdmin: boolean
}

/** Process entry for `llm-relay run`: load config, build the app, listen, reload, shut down on signals. */
export async function startGateway(options: StartOptions = {}): Promise<Gateway> {
  const loaded = loadConfig(options)
  const { config } = loaded
  const logger = options.logger ?? createLogger(config.log.level)
  mkdirSync(resolve(options.cwd ?? process.cwd(), config.dataDir), { recursive: true })
  const { worker } = options
  const holder = new RuntimeHolder(config, logger, worker?.backends)
  const state: AppState = { accepting: true }
  const app = buildApp(holder, state, worker?.metricsText)
  const connections = trackConnections(app.server)
  await app.listen({ host: config.server.host, port: config.server.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.server.port
  // A worker reloads when the primary says (it watches the file and takes SIGHUP for all).
  const local = startReloader(holder, options, loaded.file, logger, { watch: worker === undefined })
  const reloader: Reloader = worker === undefined ? local : { ...local, reloadOrExplain: (reason) => worker.reloadAll(reason) }
  const admin = config.admin === undefined || worker?.serveAdmin === false ? undefined : await startAdmin(holder, reloader, loaded, options, logger, urlOf(config.server.host, port))

  let closing: Promise<void> | undefined
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      state.accepting = false
      reloader.close()
      const deadline = setTimeout(() => {
        logger.warn('shutdown deadline reached; closing the connections still open')
        app.server.closeAllConnections()
      }, holder.current.config.server.shutdownTimeout)
      deadline.unref()
      // server.close() closes only the keep-alive connections idle at that moment (Fastify's
      // forceCloseConnections: 'idle'); one whose stream ends later would then hold the exit until the
      // deadline. Sweep them as they turn idle, never cutting a response in progress; connections
      // that never sent a request go too (http/idle-connections.ts).
      connections.closeIdle()
      const sweep = setInterval(() => connections.closeIdle(), 100)
      sweep.unref()
      await Promise.all([app.close(), admin?.app.close()])
      clearInterval(sweep)
      clearTimeout(deadline)
      await holder.close()
    })()
    return closing
  }

  if (options.handleSignals) {
    exitOnSignals(logger, shutdown, (signal) => logger.info({ signal }, 'shutting down: no new connections; requests in flight may finish'))
  }
  return { app, holder, loaded, url: urlOf(config.server.host, port), reloader: local, admin, shutdown }
}

/** http://host:port as a browser reaches it (127.0.0.1 when bound to every address). */
function urlOf(bound: string, port: number): string {
  const host = bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** The admin UI and API on their own listener (issue 15): `admin.host:admin.port`, never the relay's. */
async function startAdmin(holder: RuntimeHolder, reloader: Reloader, loaded: LoadedConfig, options: StartOptions, logger: Logger, relayUrl: string): Promise<Gateway['admin']> {
  const settings = holder.current.config.admin!
  const credentials = resolveCredentials(settings, resolve(options.cwd ?? process.cwd(), holder.current.config.dataDir), options.env ?? process.env)
  const editor = loaded.file === undefined ? undefined : new ConfigEditor(loaded.file, loaded.format === 'native', { ...options, file: loaded.file })
  const app = buildAdminApp({ holder, reloader, credentials, editor, native: loaded.native, audit: openAuditStore(holder.current.config), records: openRecordStore(holder.current.config), relayUrl, logger })
  await app.listen({ host: settings.host, port: settings.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : settings.port
  return { url: urlOf(settings.host, port), app, passwordFile: credentials.generatedFile }
}
