import type { LevelWithSilent } from 'pino'
import { createLogger } from '../log.js'
import { startGateway } from '../main.js'
import type { ReloadResult } from '../reload.js'
import { Link, type Channel } from './link.js'
import { WORKER_START_VARIABLE, type WorkerReady, type WorkerStart } from './start-info.js'
import { workerBackends } from './worker-backends.js'

/**
 * One worker of `--workers`: the gateway of main.ts on the shared port, with the primary's backends
 * (worker-backends.ts), reloads and summed metrics. SIGTERM drains it as it drains a single process;
 * when the primary is gone (killed), it stops too.
 */
export async function runWorker(): Promise<void> {
  const start = JSON.parse(process.env[WORKER_START_VARIABLE] ?? 'null') as WorkerStart | null
  if (start === null || process.send === undefined) throw new Error('a worker is started by the primary of llm-relay run --workers')
  const link = new Link(processChannel())
  const logger = createLogger(start.logLevel as LevelWithSilent).child({ worker: start.index })
  const gateway = await startGateway({
    ...start.load,
    logger,
    handleSignals: true,
    worker: {
      backends: workerBackends(link),
      reloadAll: (reason) => link.call<ReloadResult>('config.reload', reason, 60_000),
      metricsText: () => link.call('metrics.text', null, 10_000),
      serveAdmin: start.index === 0,
    },
  })
  link.handle<string, ReloadResult>('config.reload', (reason) => gateway.reloader.reloadOrExplain(reason))
  link.handle('metrics.json', () => gateway.holder.metrics.json())
  // The primary takes SIGHUP for all (a terminal's hangup reaches the whole group: it must not end a worker).
  process.on('SIGHUP', () => {})
  process.once('disconnect', () => {
    logger.error('the primary is gone; this worker stops')
    void gateway.shutdown().finally(() => process.exit(1))
  })
  const ready: WorkerReady = { url: gateway.url, admin: gateway.admin === undefined ? undefined : { url: gateway.admin.url, passwordFile: gateway.admin.passwordFile } }
  await link.call('worker.ready', ready)
  logger.info({ pid: process.pid }, 'worker serving')
}

function processChannel(): Channel {
  // An IPC error (the primary exiting mid-send) must not end the worker: the link fails the call instead.
  process.on('error', () => {})
  return {
    send: (message) => process.send!(message),
    on: (event, listener) => process.on(event, listener),
    off: (event, listener) => process.off(event, listener),
    isConnected: () => process.connected,
  }
}
