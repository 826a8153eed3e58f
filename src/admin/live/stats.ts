import { bucketsBetween, histogramQuantile, type Bucket } from './quantile.js'
import { errorsOf, type MetricSnapshot } from './snapshot.js'
import type { StatsEvent, UpstreamState } from '../wire.js'

export type { HistorySample, StatsEvent, Totals, WindowStats } from '../wire.js'

/**
 * The stats event for `now`: rates against `previous` (the sample before), the window against
 * `windowStart` (the oldest sample kept), totals from `now` alone.
 */
export function statsOf(now: MetricSnapshot, previous: MetricSnapshot, windowStart: MetricSnapshot, upstreams: UpstreamState[]): StatsEvent {
  const intervalMs = Math.max(1, now.time - previous.time)
  const perSecond = (value: (snapshot: MetricSnapshot) => number) => round(Math.max(0, value(now) - value(previous)) / (intervalMs / 1000))
  const duration = bucketsBetween(now.duration, windowStart.duration)
  const firstByte = bucketsBetween(now.firstByte, windowStart.firstByte)
  const hits = now.cache.HIT - windowStart.cache.HIT
  const lookups = hits + now.cache.MISS - windowStart.cache.MISS
  return {
    time: now.time,
    intervalMs,
    rate: {
      requestsPerSec: perSecond((s) => s.requests),
      errorsPerSec: perSecond(errorsOf),
      promptTokensPerSec: perSecond((s) => s.promptTokens),
      completionTokensPerSec: perSecond((s) => s.completionTokens),
    },
    window: {
      ms: now.time - windowStart.time,
      p50Ms: quantileMs(0.5, duration),
      p95Ms: quantileMs(0.95, duration),
      ttfbP50Ms: quantileMs(0.5, firstByte),
      ttfbP95Ms: quantileMs(0.95, firstByte),
      cacheHitRate: lookups > 0 ? round(hits / lookups) : null,
    },
    totals: {
      requests: now.requests,
      byStatusClass: now.byStatusClass,
      errors: errorsOf(now),
      promptTokens: now.promptTokens,
      completionTokens: now.completionTokens,
      cache: now.cache,
      p50Ms: quantileMs(0.5, now.duration),
      p95Ms: quantileMs(0.95, now.duration),
      ttfbP50Ms: quantileMs(0.5, now.firstByte),
      ttfbP95Ms: quantileMs(0.95, now.firstByte),
    },
    inFlight: now.inFlight,
    streamsInFlight: now.streamsInFlight,
    upstreams,
  }
}

/** A histogram's quantile (in seconds, as the metrics are) in ms, to the µs. */
export function quantileMs(q: number, buckets: readonly Bucket[]): number | null {
  const seconds = histogramQuantile(q, buckets)
  return seconds === null ? null : round(seconds * 1000)
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
