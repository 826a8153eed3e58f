import cluster, { type Worker } from 'node:cluster'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client'
import { loadConfig, type LoadedConfig, type LoadOptions } from '../config/load.js'
import { createLogger, type Logger } from '../log.js'
import { startReloader, type ReloadResult } from '../reload.js'
import { RuntimeHolder } from '../runtime.js'
import { serveWorker } from './hub.js'
import { exitOnSignals } from '../exit-on-signals.js'
import { Link, type Channel } from './link.js'
import { SharedFlights } from './shared-flights.js'
import { WORKER_START_VARIABLE, type WorkerReady, type WorkerStart } from './start-info.js'

export interface ClusterGateway {
  loaded: LoadedConfig
  /** Workers serving. */
  workers: number
  /** What worker 0 reported: where the gateway and the admin UI listen. */
  ready: WorkerReady
  shutdown(): Promise<void>
}

interface Running {
  index: number
  worker: Worker
  link: Link
  startedAt: number
  ready: boolean
}

/** A worker that dies within this long after it started is restarted after a growing pause, not at once. */
const YOUNG_DEATH_MS = 5000
const MAX_RESTART_PAUSE_MS = 30_000

/**
 * The primary of `llm-relay run --workers N` (issue 17 point 1). It forks N workers that serve the
 * one port (Node's cluster hands them the connections in turn) and holds what must be one for the
 * gateway: memory counters, the embedded cache and its single flights, the SQLite record writer and
 * the notice senders, in a RuntimeHolder of its own that no request reaches. It watches the config
 * (file and SIGHUP) and passes a reload to every worker once it has built it itself, so a broken
 * config is refused by all. A worker that dies is logged and replaced; SIGTERM drains every worker,
 * then writes the records they handed over.
 */
export async function startPrimary(options: LoadOptions & { handleSignals?: boolean }, count: number): Promise<ClusterGateway> {
  const loaded = loadConfig(options)
  const { config } = loaded
  const logger: Logger = createLogger(config.log.level).child({ worker: 'primary' })
  mkdirSync(resolve(options.cwd ?? process.cwd(), config.dataDir), { recursive: true })
  const holder = new RuntimeHolder(config, logger)
  const flights = new SharedFlights()
  const running = new Map<number, Running>()
  let stopping = false
  let lastBroadcast: Promise<ReloadResult> = Promise.resolve({ applied: true })

  const reloader = startReloader(holder, options, loaded.file, logger, {
    onApplied: (reason) => {
      lastBroadcast = reloadWorkers(reason)
    },
  })

  const reloadWorkers = async (reason: string): Promise<ReloadResult> => {
    const answers = await Promise.all(
      [...running.values()].map(({ link }) => link.call<ReloadResult>('config.reload', reason, 60_000).catch((error: unknown): ReloadResult => ({ applied: false, problem: (error as Error).message }))),
    )
    const refused = answers.find((answer): answer is { applied: false; problem: string } => !answer.applied)
    if (refused !== undefined) logger.error({ reason, problem: refused.problem }, 'a worker refused a reload the primary applied; it keeps its previous config')
    return refused ?? { applied: true }
  }

  const gatewayMetrics = async (): Promise<{ contentType: string; body: string }> => {
    type Metrics = MetricObjectWithValues<MetricValue<string>>[]
    const parts = await Promise.all([holder.metrics.json(), ...[...running.values()].map(({ link }) => link.call<Metrics>('metrics.json', null, 5000).catch(() => undefined))])
    const registry = AggregatorRegistry.aggregate(parts.filter((part): part is Metrics => part !== undefined))
    return { contentType: registry.contentType, body: await registry.metrics() }
  }

  const start = (load: WorkerStart['load']) => (index: number) => JSON.stringify({ index, load, logLevel: config.log.level } satisfies WorkerStart)
  const startOf = start({ file: loaded.file ?? options.file, cwd: options.cwd, env: options.env, overrides: options.overrides })
  cluster.setupPrimary({ exec: workerEntry(), execArgv: workerExecArgv(), serialization: 'advanced' })

  let firstReady: WorkerReady | undefined
  let restartPause = 0
  const readyWaiters = new Set<{ resolve: () => void; reject: (error: Error) => void }>()

  const fork = (index: number): void => {
    const worker = cluster.fork({ [WORKER_START_VARIABLE]: startOf(index) })
    const link = new Link(workerChannel(worker))
    const entry: Running = { index, worker, link, startedAt: Date.now(), ready: false }
    running.set(worker.id, entry)
    serveWorker(link, worker.id, holder, flights)
    link
      .handle<string, Promise<ReloadResult>>('config.reload', async (reason) => {
        const own = reloader.reloadOrExplain(reason)
        return own.applied ? await lastBroadcast : own
      })
      .handle('metrics.text', gatewayMetrics)
      .handle<WorkerReady, void>('worker.ready', (ready) => {
        entry.ready = true
        if (index === 0) firstReady = ready
        if ([...running.values()].filter((other) => other.ready).length >= count) for (const waiter of readyWaiters) waiter.resolve()
      })
    worker.once('exit', (code, signal) => {
      link.close()
      flights.releaseAll(worker.id)
      running.delete(worker.id)
      if (stopping) return
      if (!entry.ready && firstReady === undefined) {
        for (const waiter of readyWaiters) waiter.reject(new Error(`worker ${index} exited (${signal ?? `code ${code}`}) before it listened; see its log above`))
        return
      }
      const lived = Date.now() - entry.startedAt
      restartPause = lived < YOUNG_DEATH_MS ? Math.min(Math.max(restartPause * 2, 250), MAX_RESTART_PAUSE_MS) : 0
      holder.metrics.workerRestarts.inc()
      logger.error({ replacing: index, pid: worker.process.pid, code, signal, restartInMs: restartPause }, 'a worker exited unexpectedly; starting a replacement (the other workers keep serving)')
      setTimeout(() => {
        if (!stopping) fork(index)
      }, restartPause).unref()
    })
  }

  let closing: Promise<void> | undefined
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      stopping = true
      reloader.close()
      const exits = [...running.values()].map(({ worker }) => new Promise<void>((done) => (worker.isDead() ? done() : worker.once('exit', () => done()))))
      for (const { worker } of running.values()) worker.process.kill('SIGTERM')
      // Each worker drains within server.shutdownTimeout and writes its records; one that hangs past that is killed.
      const deadline = setTimeout(() => {
        for (const { worker } of running.values()) worker.process.kill('SIGKILL')
      }, holder.current.config.server.shutdownTimeout + 10_000)
      deadline.unref()
      await Promise.all(exits)
      clearTimeout(deadline)
      await holder.close()
    })()
    return closing
  }

  const allReady = new Promise<void>((resolve, reject) => readyWaiters.add({ resolve, reject }))
  for (let index = 0; index < count; index++) fork(index)
  try {
    await allReady
  } catch (error) {
    await shutdown()
    throw error
  }
  readyWaiters.clear()

  if (options.handleSignals) {
    exitOnSignals(logger, shutdown, (signal) => logger.info({ signal, workers: running.size }, 'shutting down: every worker drains its requests in flight'))
  }
  return { loaded, workers: count, ready: firstReady!, shutdown }
}

/** The worker's entry beside this file: .ts when run from source (tsx), .js from dist. */
function workerEntry(): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  return fileURLToPath(new URL(`./worker-entry${extension}`, import.meta.url))
}

/** The primary's node flags (a loader, --cpu-prof) without an -e/-p script, plus the V8 flag bin/llm-relay.js sets. */
function workerExecArgv(): string[] {
  const flags: string[] = []
  const given = process.execArgv
  for (let index = 0; index < given.length; index++) {
    const flag = given[index]!
    if (flag === '-e' || flag === '--eval' || flag === '-p' || flag === '--print') {
      index++
      continue
    }
    if (/^--(eval|print)=/.test(flag)) continue
    flags.push(flag)
  }
  if (!flags.includes('--no-allocation-site-pretenuring')) flags.push('--no-allocation-site-pretenuring')
  return flags
}

function workerChannel(worker: Worker): Channel {
  // An IPC error (the worker exiting mid-send) must not end the primary: the link fails the call instead.
  worker.on('error', () => {})
  return {
    send: (message) => worker.send(message as object),
    on: (event, listener) => worker.on(event, listener),
    off: (event, listener) => worker.off(event, listener),
    isConnected: () => worker.isConnected(),
  }
}
