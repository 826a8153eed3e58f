import { join } from 'node:path'
import type { Dispatcher } from 'undici'
import { AnswerCache } from './cache/answer-cache.js'
import { ownBackends, type Backends, type NoticeSink } from './backends.js'
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
import type { CacheStoreOptions } from './storage/cache-store.js'
import type { CounterStore } from './storage/types.js'
import { createDispatcher } from './upstream/client.js'
import { KeptResource, type PreparedResource } from './kept-resource.js'
import { RequestWatch } from './pipeline/watch.js'

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
  readonly notices: NoticeSink | undefined
  /** Request records, present unless records.backend is none. */
  readonly records: RecordsRuntime | undefined
  /** The answer cache, present when some route caches. */
  readonly cache: AnswerCache | undefined
  /** Minimum gaps between streamed events, present when a rule paces something. */
  readonly streamPacing: StreamPacing | undefined
  /** Requests someone waits to see finish (the admin playground); kept across reloads. */
  readonly requestWatch: RequestWatch
}

/**
 * Holds the current Runtime. A reload builds and checks a complete new one, then swaps one
 * reference: requests in flight finish on the runtime they started with. Stores, the upstream pool,
 * the record writer and the notice senders outlive reloads while their settings stay; one a reload
 * replaces is closed only once the new runtime is in place (kept-resource.ts).
 */
export class RuntimeHolder {
  current: Runtime
  readonly metrics = new GatewayMetrics()
  readonly requestWatch = new RequestWatch()
  readonly #dispatcher = new KeptResource<Dispatcher>((dispatcher) => {
    // close() lets requests in flight on the old pool finish first.
    void dispatcher.close().catch((error: unknown) => this.current.logger.warn({ err: error }, 'closing the previous upstream pool failed'))
  })
  /** Counters outlive reloads (a reload must not reset everyone's limits); replaced only when the backend changes. */
  readonly #counters = new KeptResource<{ store: CounterStore; watch: BackendWatch }>(({ store }) => {
    void store.close().catch((error: unknown) => this.current.logger.warn({ err: error }, 'closing the previous counter store failed'))
  })
  /** Cached answers outlive reloads too; replaced only when the cache store's settings change. */
  readonly #answers = new KeptResource<AnswerCache>((cache) => {
    void cache.close().catch((error: unknown) => this.current.logger.warn({ err: error }, 'closing the previous cache store failed'))
  })
  /** The record writer outlives reloads while records go to the same place. */
  readonly #records = new KeptResource<RecordsRuntime>((records) => this.retire(records.writer))
  /** Notices outlive reloads while their settings stay, so dedup and rate limits carry on. */
  readonly #notices = new KeptResource<NoticeSink>((dispatcher) => void dispatcher.close())
  /** Writers a reload replaced, still writing what they hold: shutdown waits for them too. */
  private readonly retiredWriters = new Set<RecordWriter>()
  /** Records dropped by replaced writers that have closed: the dropped gauge counts the process's life. */
  private droppedByClosedWriters = 0

  /** `backends`: where counters, cache, records and notices live (backends.ts); a worker of `--workers` gives the primary's. */
  constructor(
    config: Readonly<Config>,
    logger: Logger,
    private readonly backends: Backends = ownBackends,
  ) {
    const health = new HealthBook(config.failover.cooldown)
    // An upstream going into cooldown is news for the operators (openai-api-route's notices, issue 5).
    health.on('cooldown', (id, untilMs, reason) => {
      this.metrics.upstreamCooldowns.inc({ upstream: this.upstreamNamed(id)?.upstream.name ?? id })
      this.noticeCooldown(id, untilMs, reason)
    })
    this.metrics.upstreamStatesSource = () =>
      this.current.routes.routes.flatMap((route) => route.upstreams.map((upstream) => ({ upstream: upstream.name, up: !this.current.health.isCooling(upstream.id) })))
    this.metrics.recordsDroppedSource = () => {
      let dropped = this.droppedByClosedWriters + (this.#records.value?.writer.dropped ?? 0)
      for (const writer of this.retiredWriters) dropped += writer.dropped
      return dropped
    }
    this.metrics.cacheEvictionsSource = () => this.#answers.value?.store.evictions ?? 0
    const { runtime, commit } = this.assemble(config, logger, health)
    this.current = runtime
    commit()
  }

  /** Builds a runtime for `config` and makes it current; throws (and changes nothing) if it cannot be built. */
  swap(config: Readonly<Config>): void {
    const previous = this.current
    const { runtime, commit } = this.assemble(config, previous.logger, previous.health)
    previous.health.policy = config.failover.cooldown
    this.current = runtime
    commit()
  }

  async close(): Promise<void> {
    await this.current.dispatcher.close()
    await this.#counters.value?.store.close()
    await this.#answers.value?.close()
    // Last: SIGTERM writes every record still queued (bounded by the writer's close timeout), also
    // what a writer replaced by a recent reload still holds.
    // (A retired writer's failure was logged by retire().)
    await Promise.all([this.#records.value?.writer.close(), ...[...this.retiredWriters].map((writer) => writer.close().catch(() => {}))])
    await this.#notices.value?.close()
  }

  /**
   * Everything a runtime for `config` needs, with the resources it would replace still open: commit()
   * after the runtime is in place retires them. If anything throws, what was opened is closed again.
   */
  private assemble(config: Readonly<Config>, logger: Logger, health: HealthBook): { runtime: Runtime; commit: () => void } {
    const prepared: PreparedResource<unknown>[] = []
    const take = <T>(resource: PreparedResource<T>): T | undefined => {
      prepared.push(resource)
      return resource.value
    }
    try {
      const dispatcher = take(this.#dispatcher.prepare(`${config.proxy ?? ''} ${config.timeouts.connect}`, () => createDispatcher({ connectTimeout: config.timeouts.connect, proxy: config.proxy })))!
      const limits = this.limitsFor(config, logger, take)
      const cache = take(this.cacheFor(config, logger))
      const records = take(this.#records.prepare(config.records.backend === 'none' ? undefined : recordsKey(config), () => openRecords(config, logger, this.backends)))
      const notices = take(this.#notices.prepare(JSON.stringify(config.notify ?? null), () => this.backends.notices(config, logger)))
      const runtime = build(config, logger, this.metrics, health, dispatcher, limits, cache, records, notices, this.requestWatch)
      return { runtime, commit: () => prepared.forEach((resource) => resource.commit()) }
    } catch (error) {
      prepared.forEach((resource) => resource.discard())
      throw error
    }
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
    const dispatcher = this.#notices.value
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

  /** Closes a writer a reload replaced; its drops stay counted once it is gone. */
  private retire(writer: RecordWriter): void {
    this.retiredWriters.add(writer)
    void writer
      .close()
      .catch((error: unknown) => this.current.logger.warn({ err: error }, 'closing the previous record writer failed'))
      .finally(() => {
        this.retiredWriters.delete(writer)
        this.droppedByClosedWriters += writer.dropped
      })
  }

  /** The answer cache when some route caches; its store is opened once and kept while its settings stay. */
  private cacheFor(config: Readonly<Config>, logger: Logger): PreparedResource<AnswerCache> {
    const options = config.routes.some((route) => route.cache !== undefined && route.cache.mode !== 'off') ? cacheStoreOptions(config) : undefined
    return this.#answers.prepare(options === undefined ? undefined : JSON.stringify(options), () => {
      const watch = new BackendWatch(logger, cacheWatchMessages, this.metrics.cacheBackendErrors)
      return new AnswerCache(this.backends.cacheStore(options!), this.metrics, watch, this.backends.flights())
    })
  }

  /** The config's limits with the counters they count in; undefined (and no store open) when no rule limits anything. */
  private limitsFor(config: Readonly<Config>, logger: Logger, take: <T>(resource: PreparedResource<T>) => T | undefined): LimitsRuntime | undefined {
    const limits = config.limits
    const requests = limits === undefined ? undefined : new LimitRules('rq', limits.requests, limits.global)
    const tokenRules = limits === undefined ? undefined : new LimitRules('tk', limits.tokens)
    const tokens = tokenRules?.active === true ? tokenRules : undefined
    // Loading starts now so that the first request rarely waits for it; it waits if it must (token-quota stage).
    if (tokens !== undefined) loadTokenizer().catch((error: unknown) => logger.error({ err: error }, 'the tokenizer failed to load: token estimates are rough (4 characters per token)'))
    const active = requests?.active === true || tokens !== undefined
    const key = limits === undefined || !active ? undefined : `${limits.backend} ${limits.backendTimeout} ${limits.onBackendError}`
    const counters = take(
      this.#counters.prepare(key, () => ({ store: this.backends.counterStore(limits!), watch: new BackendWatch(logger, limitsWatchMessages(limits!.onBackendError), this.metrics.limitBackendErrors) })),
    )
    if (counters === undefined || limits === undefined || requests === undefined) return undefined
    return { config: limits, requests, tokens, store: counters.store, watch: counters.watch }
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
  notices: NoticeSink | undefined,
  requestWatch: RequestWatch,
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
    requestWatch,
  }
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
