import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'

/**
 * Every metric of the gateway: names, help texts and label sets are defined here and nowhere else.
 * One instance per gateway (kept across reloads), on its own registry, so that several gateways in
 * one process (tests) never share or double-register counters.
 */
export class GatewayMetrics {
  readonly registry = new Registry()

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

  /** The Prometheus text of this gateway's metrics and the process's own. */
  async text(): Promise<{ contentType: string; body: string }> {
    const merged = Registry.merge([processRegistry(), this.registry])
    return { contentType: merged.contentType, body: await merged.metrics() }
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
