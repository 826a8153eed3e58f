import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { bucketsBetween, histogramQuantile, type Bucket } from '../../src/admin/live/quantile.js'

// The admin Overview's quantiles are estimated from histogram buckets the way Prometheus's
// histogram_quantile does (promql/quantile.go bucketQuantile), so that they match a Grafana panel.

const buckets = (...pairs: [number, number][]): Bucket[] => pairs.map(([le, count]) => ({ le, count }))
// 10 observations up to 0.1 s, 20 more up to 0.5 s, 10 more up to 1 s, 10 above.
const sample = buckets([0.1, 10], [0.5, 30], [1, 40], [Infinity, 50])

describe('histogramQuantile', () => {
  const cases: [string, number, number][] = [
    ['the median, interpolated inside its bucket: 0.1 + 0.4 * 15/20', 0.5, 0.4],
    ['in the first bucket, whose lower bound is 0', 0.1, 0.05],
    ['a rank on a bucket boundary is that bound', 0.2, 0.1],
    ['the last finite bucket filled to its top', 0.8, 1],
    ['a rank in +Inf gives the highest finite bound', 0.95, 1],
    ['q = 1 as well', 1, 1],
    ['q = 0 is the lower bound of the first bucket', 0, 0],
  ]
  for (const [label, q, expected] of cases) {
    test(label, () => assert.ok(Math.abs(histogramQuantile(q, sample)! - expected) < 1e-12, `${histogramQuantile(q, sample)} != ${expected}`))
  }

  test('nothing observed, no +Inf bucket, or only +Inf: null (Prometheus: NaN)', () => {
    assert.equal(histogramQuantile(0.5, []), null)
    assert.equal(histogramQuantile(0.5, buckets([0.1, 0], [Infinity, 0])), null)
    assert.equal(histogramQuantile(0.5, buckets([0.1, 3], [1, 5])), null)
    assert.equal(histogramQuantile(0.5, buckets([Infinity, 5])), null)
    assert.equal(histogramQuantile(Number.NaN, sample), null)
  })

  test('q outside [0, 1] is -Inf or +Inf, as in PromQL', () => {
    assert.equal(histogramQuantile(-0.1, sample), -Infinity)
    assert.equal(histogramQuantile(1.1, sample), Infinity)
  })

  test('a first bucket with a bound <= 0 is not interpolated: its bound is the answer', () => {
    assert.equal(histogramQuantile(0.25, buckets([-1, 5], [1, 10], [Infinity, 10])), -1)
  })

  test('q = 0 passes over empty buckets (0 / 0 is no latency): the first one with observations, or the last finite bound', () => {
    assert.equal(histogramQuantile(0, buckets([0.005, 0], [0.01, 0], [Infinity, 1])), 0.01)
    assert.equal(histogramQuantile(0, buckets([0.005, 0], [0.01, 2], [Infinity, 2])), 0.005)
  })

  test('every observation in one bucket: interpolated across that bucket', () => {
    const one = buckets([0.005, 0], [0.01, 0], [0.025, 4], [0.05, 4], [Infinity, 4])
    assert.ok(Math.abs(histogramQuantile(0.5, one)! - 0.0175) < 1e-12)
    assert.ok(Math.abs(histogramQuantile(0.95, one)! - 0.02425) < 1e-12)
  })

  test('property: within the bounds of the bucket that holds the rank, and never decreasing in q', () => {
    const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (counts, a, b) => {
        let cumulative = 0
        const histogram = [...bounds, Infinity].map((le, index) => ({ le, count: (cumulative += counts[index]!) }))
        const low = histogramQuantile(Math.min(a, b), histogram)
        const high = histogramQuantile(Math.max(a, b), histogram)
        if (cumulative === 0) return low === null && high === null
        return low !== null && high !== null && low <= high + 1e-12 && low >= 0 && high <= bounds.at(-1)!
      }),
    )
  })
})

describe('bucketsBetween', () => {
  test('what was observed between two readings, bucket by bucket; a bucket unseen before counts from 0', () => {
    const before = buckets([0.1, 10], [1, 15], [Infinity, 15])
    const now = buckets([0.1, 12], [0.5, 4], [1, 20], [Infinity, 26])
    assert.deepEqual(bucketsBetween(now, before), buckets([0.1, 2], [0.5, 4], [1, 5], [Infinity, 11]))
    assert.deepEqual(bucketsBetween(now, []), now)
    assert.deepEqual(bucketsBetween(before, now), buckets([0.1, 0], [1, 0], [Infinity, 0]), 'never below zero')
  })
})
