/** One bucket of a Prometheus histogram: how many observations were at most `le` (cumulative; +Inf is Infinity). */
export interface Bucket {
  le: number
  count: number
}

/**
 * The q-quantile of a histogram, estimated as Prometheus's `histogram_quantile` does
 * (promql/quantile.go `bucketQuantile`), so that the admin's numbers match a Grafana panel over
 * /metrics: find the bucket holding the rank q·count, then interpolate linearly inside it, taking 0
 * as the lower bound of the first bucket. A rank in the +Inf bucket gives the highest finite bound.
 * `buckets` are cumulative, sorted by `le`, the last one +Inf. Null when nothing was observed.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | null {
  const total = buckets.at(-1)
  if (buckets.length < 2 || total === undefined || total.le !== Infinity || total.count <= 0 || Number.isNaN(q)) return null
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  let rank = q * total.count
  // As Prometheus's sort.Search over every bucket but +Inf: the first whose count reaches the rank; a
  // bucket with nothing in it up to there is passed over (q = 0 would otherwise interpolate 0 / 0).
  let index = buckets.findIndex((bucket, at) => at < buckets.length - 1 && bucket.count >= rank && bucket.count > 0)
  if (index === -1) index = buckets.length - 1
  if (index === buckets.length - 1) return buckets[buckets.length - 2]!.le
  const bucket = buckets[index]!
  if (index === 0 && bucket.le <= 0) return bucket.le
  let start = 0
  let count = bucket.count
  if (index > 0) {
    const below = buckets[index - 1]!
    start = below.le
    count -= below.count
    rank -= below.count
  }
  return start + (bucket.le - start) * (rank / count)
}

/** What was observed between two readings of the same histogram: `now` minus `before`, bucket by bucket. */
export function bucketsBetween(now: readonly Bucket[], before: readonly Bucket[]): Bucket[] {
  const earlier = new Map(before.map((bucket) => [bucket.le, bucket.count]))
  // Never below zero: a histogram is only ever added to, but a reading may miss a label set a later one has.
  return now.map((bucket) => ({ le: bucket.le, count: Math.max(0, bucket.count - (earlier.get(bucket.le) ?? 0)) }))
}
