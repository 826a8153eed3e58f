import type { Histogram } from 'prom-client'
import type { GatewayMetrics } from '../../metrics/metrics.js'
import type { Bucket } from './quantile.js'

/** The gateway's counters at one moment, summed over their labels: what the Overview is computed from. */
export interface MetricSnapshot {
  /** Epoch ms of the reading. */
  time: number
  requests: number
  /** Requests by status class ('2xx', '4xx', ...): the first digit of `llm_relay_requests_total`'s status. */
  byStatusClass: Record<string, number>
  promptTokens: number
  completionTokens: number
  cache: { HIT: number; MISS: number; BYPASS: number }
  /** `llm_relay_request_duration_seconds` over every route, cumulative. */
  duration: Bucket[]
  /** `llm_relay_time_to_first_byte_seconds` over every route, cumulative. */
  firstByte: Bucket[]
  inFlight: number
  streamsInFlight: number
}

/** What the Overview calls an error: the gateway or its upstreams failed (5xx). A 4xx is the client's request refused. */
export function errorsOf(snapshot: MetricSnapshot): number {
  return snapshot.byStatusClass['5xx'] ?? 0
}

/**
 * Reads the metrics as /metrics would print them: each metric's `get()` runs its collect hook (the
 * tallies are published there), so these sums are exactly those of the scraped series.
 */
export async function readSnapshot(metrics: GatewayMetrics, time = Date.now()): Promise<MetricSnapshot> {
  const [requests, tokens, cache, duration, firstByte, inFlight, streams] = await Promise.all([
    metrics.requests.get(),
    metrics.tokens.get(),
    metrics.cacheRequests.get(),
    bucketsOf(metrics.requestDuration),
    bucketsOf(metrics.timeToFirstByte),
    metrics.requestsInFlight.get(),
    metrics.streamsInFlight.get(),
  ])
  const byStatusClass: Record<string, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }
  let total = 0
  for (const { labels, value } of requests.values) {
    const statusClass = `${String(labels.status ?? '?')[0]}xx`
    byStatusClass[statusClass] = (byStatusClass[statusClass] ?? 0) + value
    total += value
  }
  const tokenSum = (kind: string) => tokens.values.reduce((sum, { labels, value }) => (labels.kind === kind ? sum + value : sum), 0)
  const cacheSum = (status: string) => cache.values.reduce((sum, { labels, value }) => (labels.status === status ? sum + value : sum), 0)
  return {
    time,
    requests: total,
    byStatusClass,
    promptTokens: tokenSum('prompt'),
    completionTokens: tokenSum('completion'),
    cache: { HIT: cacheSum('HIT'), MISS: cacheSum('MISS'), BYPASS: cacheSum('BYPASS') },
    duration,
    firstByte,
    inFlight: inFlight.values[0]?.value ?? 0,
    streamsInFlight: streams.values[0]?.value ?? 0,
  }
}

/** A histogram's buckets summed over its label sets (PromQL `sum by (le)`), sorted by bound; empty before any observation. */
async function bucketsOf(histogram: Histogram<string>): Promise<Bucket[]> {
  const counts = new Map<number, number>()
  for (const sample of (await histogram.get()).values) {
    if (sample.metricName?.endsWith('_bucket') !== true) continue
    const le = (sample.labels as { le?: string | number }).le
    const bound = le === '+Inf' ? Infinity : Number(le)
    counts.set(bound, (counts.get(bound) ?? 0) + sample.value)
  }
  return [...counts].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le)
}
