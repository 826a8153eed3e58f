import { join } from 'node:path'
import type { Dispatcher } from 'undici'
import { AnswerCache } from './cache/answer-cache.js'
import { createNotifiers, type NoticeDispatcher } from './notify/index.js'
import { openRecords, recordsKey, type RecordsRuntime } from './records/records-runtime.js'
import type { RecordWriter } from './records/writer.js'
import { ClientDirectory } from './access/client-keys.js'
import { IpAccess } from './access/ip-access.js'
import type { Config, LimitsConfig } from './config/schema.js'
import { BackendWatch } from './storage/backend-watch.js'
import { LimitRules } from './limits/limit-rules.js'
import { loadTokenizer } from './limits/token-count.js'
import { StreamPacing } from './limits/stream-pacing.js'
import type { Logger } from './log.js'
import { GatewayMetrics } from './metrics/metrics.js'
import { HealthBook } from './routing/health.js'
import { RouteTable, type CompiledRoute, type CompiledUpstream } from './routing/route-table.js'
import { createCacheStore, type CacheStoreOptions } from './storage/cache-store.js'
import { createCounterStore } from './storage/counter-store.js'
import type { CounterStore } from './storage/types.js'
import { createDispatcher } from './upstream/client.js'

/** Request-rate limits and token quotas, present when the config has rules. */
export interface LimitsRuntime {
  readonly config: LimitsConfig
  readonly requests: LimitRules
  /** Token quotas; undefined when no rule counts tokens, so such configs never load the tokenizer. */
  readonly tokens: LimitRules | undefined
  readonly store: CounterStore
  readonly watch: BackendWatch
}

/** Everything a request needs, built once from one config. A request keeps the one it started with. */
export interface Runtime {
  readonly config: Readonly<Config>
  readonly routes: RouteTable
  readonly clients: ClientDirectory
  readonly ip: IpAccess
  readonly dispatcher: Dispatcher
  readonly health: HealthBook
  readonly logger: Logger
  /** Kept across reloads: counters never restart while the process lives. */
  readonly metrics: GatewayMetrics
  /** The Access-Control-Allow-Origin value, or undefined when CORS is off. */
  readonly corsOrigin: string | undefined
  readonly limits: LimitsRuntime | undefined
  /** Error notices, present when a receiver is configured (notify, or FEISHU_WEBHOOK / MATRIX_API). */
  readonly notices: NoticeDispatcher | undefined
  /** Request records, present unless records.backend is none. */
  readonly records: RecordsRuntime | undefined
  /** The answer cache, present when some route caches. */
  readonly cache: AnswerCache | undefined
  /** Minimum gaps between streamed events, present when a rule paces something. */
  readonly streamPacing: StreamPacing | undefined
}

/**
 * Holds the current Runtime. A reload builds and checks a complete new one, then swaps one
 * reference: requests in flight finish on the runtime they started with.
 */
export class RuntimeHolder {
  current: Runtime
  readonly metrics = new GatewayMetrics()
  private dispatcherKey: string
  /** Counters outlive reloads (a reload must not reset everyone's limits); replaced only when the backend changes. */
  private counters: { key: string; store: CounterStore; watch: BackendWatch } | undefined
  /** Cached answers outlive reloads too; replaced only when the cache store's settings change. */
  private answers: { key: string; cache: AnswerCache } | undefined
  /** The record writer outlives reloads while records go to the same place. */
  private records: RecordsRuntime | undefined
  /** Writers a reload replaced, still writing what they hold: shutdown waits for them too. */
  private readonly retiredWriters = new Set<RecordWriter>()
  /** Records dropped by replaced writers that have closed: the dropped gauge counts the process's life. */
  private droppedByClosedWriters = 0
  /** Notices outlive reloads while their settings stay, so dedup and rate limits carry on. */
  private notices: { key: string; dispatcher: NoticeDispatcher | undefined } | undefined

  constructor(config: Readonly<Config>, logger: Logger) {
    const health = new HealthBook(config.failover.cooldown)
    // An upstream going into cooldown is news for the operators (openai-api-route's notices, issue 5).
    health.on('cooldown', (id, untilMs, reason) => {
      this.metrics.upstreamCooldowns.inc({ upstream: this.upstreamNamed(id)?.upstream.name ?? id })
      this.noticeCooldown(id, untilMs, reason)
    })
    this.metrics.upstreamStatesSource = () =>
      this.current.routes.routes.flatMap((route) => route.upstreams.map((upstream) => ({ upstream: upstream.name, up: !this.current.health.isCooling(upstream.id) })))
    this.metrics.recordsDroppedSource = () => {
      let dropped = this.droppedByClosedWriters + (this.records?.writer.dropped ?? 0)
      for (const writer of this.retiredWriters) dropped += writer.dropped
      return dropped
    }
    this.dispatcherKey = dispatcherKeyOf(config)
    const dispatcher = createDispatcher({ connectTimeout: config.timeouts.connect, proxy: config.proxy })
    this.current = build(config, logger, this.metrics, health, dispatcher, this.limitsFor(config, logger), this.cacheFor(config, logger), this.recordsFor(config, logger), this.noticesFor(config, logger))
  }

  swap(config: Readonly<Config>): void {
    const previous = this.current
    const key = dispatcherKeyOf(config)
    let dispatcher = previous.dispatcher
    if (key !== this.dispatcherKey) {
      dispatcher = createDispatcher({ connectTimeout: config.timeouts.connect, proxy: config.proxy })
      // close() lets requests in flight on the old dispatcher finish first.
      void previous.dispatcher.close().catch((error: unknown) => previous.logger.warn({ err: error }, 'closing the previous upstream pool failed'))
      this.dispatcherKey = key
    }
    previous.health.policy = config.failover.cooldown
    this.current = build(
      config,
      previous.logger,
      this.metrics,
      previous.health,
      dispatcher,
      this.limitsFor(config, previous.logger),
      this.cacheFor(config, previous.logger),
      this.recordsFor(config, previous.logger),
      this.noticesFor(config, previous.logger),
    )
  }

  async close(): Promise<void> {
    await this.current.dispatcher.close()
    await this.counters?.store.close()
    await this.answers?.cache.close()
    // Last: SIGTERM writes every record still queued (bounded by the writer's close timeout), also
    // what a writer replaced by a recent reload still holds.
    // (A retired writer's failure was logged by retire().)
    await Promise.all([this.records?.writer.close(), ...[...this.retiredWriters].map((writer) => writer.close().catch(() => {}))])
    await this.notices?.dispatcher?.close()
  }

  private noticesFor(config: Readonly<Config>, logger: Logger): NoticeDispatcher | undefined {
    const key = JSON.stringify(config.notify ?? null)
    if (this.notices?.key !== key) {
      const previous = this.notices?.dispatcher
      this.notices = { key, dispatcher: createNotifiers(config.notify, logger) }
      if (previous !== undefined) void previous.close()
    }
    return this.notices.dispatcher
  }

  /** The upstream of a health id in the current config, with its route. */
  private upstreamNamed(id: string): { route: CompiledRoute; upstream: CompiledUpstream } | undefined {
    for (const route of this.current.routes.routes) {
      const upstream = route.upstreams.find((candidate) => candidate.id === id)
      if (upstream !== undefined) return { route, upstream }
    }
    return undefined
  }

  private noticeCooldown(id: string, untilMs: number, reason: string): void {
    const dispatcher = this.notices?.dispatcher
    if (dispatcher === undefined) return
    const named = this.upstreamNamed(id)
    dispatcher.notify({
      kind: 'upstream-cooldown',
      time: Date.now(),
      ...(named !== undefined && { route: named.route.path }),
      upstream: named?.upstream.name ?? id,
      reason: `${reason}; tried again after ${new Date(untilMs).toISOString()}`,
    })
  }

  private recordsFor(config: Readonly<Config>, logger: Logger): RecordsRuntime | undefined {
    const key = config.records.backend === 'none' ? undefined : recordsKey(config)
    if (this.records?.key !== key) {
      const previous = this.records
      this.records = key === undefined ? undefined : openRecords(config, logger)
      if (previous !== undefined) this.retire(previous.writer, logger)
    }
    return this.records
  }

  /** Closes a writer a reload replaced; its drops stay counted once it is gone. */
  private retire(writer: RecordWriter, logger: Logger): void {
    this.retiredWriters.add(writer)
    void writer
      .close()
      .catch((error: unknown) => logger.warn({ err: error }, 'closing the previous record writer failed'))
      .finally(() => {
        this.retiredWriters.delete(writer)
        this.droppedByClosedWriters += writer.dropped
      })
  }

  /** The answer cache when some route caches; its store is opened once and kept while its settings stay. */
  private cacheFor(config: Readonly<Config>, logger: Logger): AnswerCache | undefined {
    const options = config.routes.some((route) => route.cache !== undefined && route.cache.mode !== 'off') ? cacheStoreOptions(config) : undefined
    const key = options === undefined ? undefined : JSON.stringify(options)
    if (this.answers?.key !== key) {
      const previous = this.answers
      this.answers = undefined
      if (options !== undefined && key !== undefined) {
        const watch = new BackendWatch(logger, cacheWatchMessages, this.metrics.cacheBackendErrors)
        const cache = new AnswerCache(createCacheStore(options), this.metrics, watch)
        this.answers = { key, cache }
        this.metrics.cacheEvictionsSource = () => cache.store.evictions
      }
      if (previous !== undefined) void previous.cache.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the previous cache store failed'))
    }
    return this.answers?.cache
  }

  /** The config's limits with the counters they count in; undefined (and no store open) when no rule limits anything. */
  private limitsFor(config: Readonly<Config>, logger: Logger): LimitsRuntime | undefined {
    const limits = config.limits
    const requests = limits === undefined ? undefined : new LimitRules('rq', limits.requests, limits.global)
    const tokenRules = limits === undefined ? undefined : new LimitRules('tk', limits.tokens)
    const tokens = tokenRules?.active === true ? tokenRules : undefined
    // Loading starts now so that the first request rarely waits for it; it waits if it must (token-quota stage).
    if (tokens !== undefined) loadTokenizer().catch((error: unknown) => logger.error({ err: error }, 'the tokenizer failed to load: token estimates are rough (4 characters per token)'))
    const active = requests?.active === true || tokens !== undefined
    const key = limits === undefined || !active ? undefined : `${limits.backend} ${limits.backendTimeout} ${limits.onBackendError}`
    if (this.counters?.key !== key) {
      const previous = this.counters
      this.counters = key === undefined || limits === undefined ? undefined : { key, store: createCounterStore(limits), watch: new BackendWatch(logger, limitsWatchMessages(limits.onBackendError), this.metrics.limitBackendErrors) }
      if (previous !== undefined) void previous.store.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the previous counter store failed'))
    }
    if (this.counters === undefined || limits === undefined || requests === undefined) return undefined
    return { config: limits, requests, tokens, store: this.counters.store, watch: this.counters.watch }
  }
}

function build(
  config: Readonly<Config>,
  logger: Logger,
  metrics: GatewayMetrics,
  health: HealthBook,
  dispatcher: Dispatcher,
  limits: LimitsRuntime | undefined,
  cache: AnswerCache | undefined,
  records: RecordsRuntime | undefined,
  notices: NoticeDispatcher | undefined,
): Runtime {
  return {
    config,
    routes: new RouteTable(config),
    clients: new ClientDirectory(config),
    ip: new IpAccess(config),
    dispatcher,
    health,
    logger,
    metrics,
    corsOrigin: config.server.cors.enabled ? config.server.cors.origin : undefined,
    limits,
    cache,
    records,
    notices,
    streamPacing: StreamPacing.compile(config.limits?.streamPacing ?? []),
  }
}

function dispatcherKeyOf(config: Readonly<Config>): string {
  return `${config.proxy ?? ''} ${config.timeouts.connect}`
}

function limitsWatchMessages(policy: LimitsConfig['onBackendError']) {
  const consequence = policy === 'fail-open' ? 'requests are admitted unlimited' : 'requests are refused with 503'
  return { unavailable: `rate-limit backend unavailable (${policy}): ${consequence}`, available: 'rate-limit backend available again' }
}

const cacheWatchMessages = { unavailable: 'cache backend unavailable: requests go to the upstreams uncached', available: 'cache backend available again' }

/** Only the options that apply to the chosen backend (createCacheStore refuses the others). */
function cacheStoreOptions(config: Readonly<Config>): CacheStoreOptions {
  const { backend, path, maxEntries, maxBytes, maxEntryBytes } = config.cache
  if (backend === 'memory') return { backend, maxEntries, maxEntryBytes, ...(maxBytes !== undefined && { maxBytes }) }
  if (backend === 'sqlite') return { backend, path: path ?? join(config.dataDir, 'cache.sqlite'), maxEntryBytes, ...(maxBytes !== undefined && { maxBytes }) }
  return { backend, maxEntryBytes }
}
