import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client'
import { RequestObserver } from './observe.js'
import { Tally } from './tally.js'

/**
 * Every metric of the gateway: names, help texts and label sets are defined here and nowhere else.
 * One instance per gateway (kept across reloads), on its own registry, so that several gateways in
 * one process (tests) never share or double-register counters.
 */
export class GatewayMetrics {
  readonly registry = new Registry()
  /** Counts finished requests into the metrics below. */
  readonly observer: RequestObserver = new RequestObserver(this)

  // Buckets from 5 ms to 2 min: LLM answers take seconds to minutes; cache hits and errors take milliseconds.
  private static readonly durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]

  readonly requestTally = new Tally<'route' | 'upstream' | 'model' | 'status'>()
  readonly requests: Counter<'route' | 'upstream' | 'model' | 'status'> = new Counter({
    name: 'llm_relay_requests_total',
    help: 'Requests answered, by route, upstream (the one whose answer was relayed; "none" otherwise), model and HTTP status.',
    labelNames: ['route', 'upstream', 'model', 'status'] as const,
    registers: [this.registry],
    collect: (): void => this.requestTally.publish(this.requests),
  })

  readonly requestDuration = new Histogram({
    name: 'llm_relay_request_duration_seconds',
    help: 'Time from a request arriving to its answer ending (a stream included), by route.',
    labelNames: ['route'] as const,
    buckets: GatewayMetrics.durationBuckets,
    registers: [this.registry],
  })

  readonly timeToFirstByte = new Histogram({
    name: 'llm_relay_time_to_first_byte_seconds',
    help: 'Time from a request arriving to the first byte of its answer body, by route.',
    labelNames: ['route'] as const,
    buckets: GatewayMetrics.durationBuckets,
    registers: [this.registry],
  })

  readonly overhead = new Histogram({
    name: 'llm_relay_gateway_overhead_seconds',
    help: "Time the gateway itself spent on a request until its answer's headers: everything but the upstream attempts.",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  })

  readonly attemptTally = new Tally<'upstream'>()
  readonly upstreamAttempts: Counter<'upstream'> = new Counter({
    name: 'llm_relay_upstream_attempts_total',
    help: 'Attempts made at each upstream.',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
    collect: (): void => this.attemptTally.publish(this.upstreamAttempts),
  })

  readonly failureTally = new Tally<'upstream' | 'reason'>()
  readonly upstreamFailures: Counter<'upstream' | 'reason'> = new Counter({
    name: 'llm_relay_upstream_failures_total',
    help: 'Failed attempts at each upstream, by reason (an HTTP status, or a transport failure such as connect, connect-timeout, headers-timeout, reset).',
    labelNames: ['upstream', 'reason'] as const,
    registers: [this.registry],
    collect: (): void => this.failureTally.publish(this.upstreamFailures),
  })

  readonly upstreamCooldowns = new Counter({
    name: 'llm_relay_upstream_cooldowns_total',
    help: 'Times each upstream was put into cooldown.',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  })

  /** Read from the health book at scrape time; the runtime sets the source. */
  upstreamStatesSource: () => Array<{ upstream: string; up: boolean }> = () => []
  readonly upstreamUp: Gauge<'upstream'> = new Gauge({
    name: 'llm_relay_upstream_up',
    help: 'Whether each upstream is in service (1) or cooling down after failures (0).',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
    // With --workers: out of service when any worker has it cooling down.
    aggregator: 'min',
    collect: (): void => {
      this.upstreamUp.reset()
      for (const { upstream, up } of this.upstreamStatesSource()) this.upstreamUp.set({ upstream }, up ? 1 : 0)
    },
  })

  readonly tokenTally = new Tally<'route' | 'model' | 'kind'>()
  readonly tokens: Counter<'route' | 'model' | 'kind'> = new Counter({
    name: 'llm_relay_tokens_total',
    help: 'Tokens of relayed answers (from their usage, or counted), by route, model and kind (prompt, completion).',
    labelNames: ['route', 'model', 'kind'] as const,
    registers: [this.registry],
    collect: (): void => this.tokenTally.publish(this.tokens),
  })

  readonly requestsInFlight = new Gauge({
    name: 'llm_relay_requests_in_flight',
    help: 'Requests being handled now.',
    registers: [this.registry],
  })

  readonly streamsInFlight = new Gauge({
    name: 'llm_relay_streams_in_flight',
    help: 'Streamed answers (text/event-stream) being relayed now.',
    registers: [this.registry],
  })

  /** Checks the counter backend (Redis) could not answer; each one applied limits.onBackendError. */
  readonly limitBackendErrors = new Counter({
    name: 'llm_relay_limit_backend_errors_total',
    help: 'Rate-limit checks the counter backend could not answer (down or slower than limits.backendTimeout).',
    registers: [this.registry],
  })

  /** Requests refused by a request-rate rule or a token quota. */
  readonly rateLimited = new Counter({
    name: 'llm_relay_rate_limited_total',
    help: 'Requests refused with 429 by a rate limit of the gateway, by kind (requests, tokens).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  })

  /** Cache decisions: HIT (answered from cache), MISS (looked up, not there), BYPASS (not looked up). */
  readonly cacheRequests = new Counter({
    name: 'llm_relay_cache_requests_total',
    help: 'Requests on cached paths by cache status (HIT, MISS, BYPASS).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  })

  readonly cacheStoredBytes = new Counter({
    name: 'llm_relay_cache_stored_bytes_total',
    help: 'Bytes of answers written to the cache.',
    registers: [this.registry],
  })

  readonly cacheBackendErrors = new Counter({
    name: 'llm_relay_cache_backend_errors_total',
    help: 'Cache reads and writes the cache backend could not do (the request went on without the cache).',
    registers: [this.registry],
  })

  /** Read from the cache store at scrape time; the runtime sets the source. */
  cacheEvictionsSource: () => number = () => 0
  readonly cacheEvictions: Gauge = new Gauge({
    name: 'llm_relay_cache_evictions',
    help: 'Cache entries dropped to make room or pruned as expired since the cache store was opened (memory and sqlite; Redis evicts without telling).',
    registers: [this.registry],
    collect: (): void => this.cacheEvictions.set(this.cacheEvictionsSource()),
  })

  /** Read from the record writer at scrape time; the runtime sets the source. */
  recordsDroppedSource: () => number = () => 0
  readonly recordsDropped: Gauge = new Gauge({
    name: 'llm_relay_records_dropped',
    help: 'Request records dropped (queue full, or the database failed twice) since the record writer started.',
    registers: [this.registry],
    collect: (): void => this.recordsDropped.set(this.recordsDroppedSource()),
  })

  /** Config reloads (SIGHUP or the file changing): `applied`, or `refused` when the new config was broken and the running one stayed. */
  readonly configReloads = new Counter({
    name: 'llm_relay_config_reloads_total',
    help: 'Config reloads by result: applied, or refused (the new config was broken; the running one stayed).',
    labelNames: ['result'] as const,
    registers: [this.registry],
    // With --workers every worker applies the same reloads the primary does: the gateway's count is the highest.
    aggregator: 'max',
  })

  /** With --workers: workers that died and were replaced (counted by the primary). */
  readonly workerRestarts = new Counter({
    name: 'llm_relay_worker_restarts_total',
    help: 'Worker processes that exited unexpectedly and were replaced (with --workers).',
    registers: [this.registry],
  })

  /** The Prometheus text of this gateway's metrics and the process's own. */
  async text(): Promise<{ contentType: string; body: string }> {
    const merged = Registry.merge([processRegistry(), this.registry])
    return { contentType: merged.contentType, body: await merged.metrics() }
  }

  /** The same as JSON, which prom-client's AggregatorRegistry sums over the processes of `--workers`. */
  json(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return Registry.merge([processRegistry(), this.registry]).getMetricsAsJSON()
  }
}

let processMetrics: Registry | undefined

/** Process metrics (CPU, memory, event loop lag, GC) are the process's, collected once whatever the number of gateways. */
function processRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry()
    collectDefaultMetrics({ register: processMetrics, prefix: 'llm_relay_' })
  }
  return processMetrics
}
