import type { WindowStrategy } from '../types.js'

/**
 * The arithmetic of the three window strategies over one key's counter, free of storage concerns
 * (MemoryCounterStore keeps the counters; this file only says how they move with time).
 */

/** One key's counter; what each field means depends on the strategy (see each below). */
export interface Counter {
  /** Start of the current window (fixed-window) or bucket (moving-window); unused by elastic expiry. */
  start: number
  /** Units in the current window or bucket. */
  count: number
  /** moving-window only: units in the bucket before the current one. */
  previous: number
  /** From this instant the counter no longer matters and may be dropped; for elastic expiry, the expiry itself. */
  expiresAt: number
  /** The store's bookkeeping: when the counter was last (re-)inserted into its map (counter-store.ts). */
  insertedAt: number
}

export interface Window {
  /**
   * The counter as it stands at `now`: `stored` itself (rolled forward in place where needed) while it
   * still matters, otherwise a new empty counter, which the caller keeps only if it writes to it.
   */
  current(stored: Counter | undefined, windowMs: number, now: number): Counter
  /** Units counted against the limit at `now` (moving-window: a weighted, possibly fractional, count). */
  used(counter: Counter, windowMs: number, now: number): number
  /** Adds `delta` (negative gives back) to the current window, never below zero. */
  add(counter: Counter, delta: number, windowMs: number, now: number): void
  /** When the window next frees capacity (WindowState.resetAt). */
  resetAt(counter: Counter, windowMs: number): number
  /**
   * Milliseconds, at least 1, until `amount` would be admitted against `limit`. When `amount > limit`
   * nothing ever admits it; the answer is then the time until the counter is empty.
   */
  retryAfter(counter: Counter, limit: number, amount: number, windowMs: number, now: number): number
}

const empty = (start: number, expiresAt: number): Counter => ({ start, count: 0, previous: 0, expiresAt, insertedAt: 0 })
const windowStart = (now: number, windowMs: number) => Math.floor(now / windowMs) * windowMs
const atLeastOneMs = (ms: number) => Math.max(1, Math.ceil(ms))

/**
 * Windows aligned on multiples of windowMs since the epoch, so every instance (and Redis) agrees on
 * where a window starts. A burst of 2 × limit is possible across a boundary; that is the strategy.
 */
const fixedWindow: Window = {
  current(stored, windowMs, now) {
    // A clock behind the window start (another instance's skew) keeps the counter: the safe side.
    if (stored && now < stored.expiresAt) return stored
    const start = windowStart(now, windowMs)
    return empty(start, start + windowMs)
  },
  used: (counter) => counter.count,
  add(counter, delta) {
    counter.count = Math.max(0, counter.count + delta)
  },
  resetAt: (counter) => counter.expiresAt,
  retryAfter: (counter, _limit, _amount, _windowMs, now) => atLeastOneMs(counter.expiresAt - now),
}

/**
 * As `limits`' FixedWindowElasticExpiryRateLimiter: every admitted hit pushes the expiry to now + windowMs,
 * so the count only resets after a quiet windowMs. Unlike `limits`, a refused hit changes nothing
 * (CounterStore.consume is all or nothing), so a client that keeps retrying is not locked out for ever.
 */
const elasticExpiry: Window = {
  current(stored, windowMs, now) {
    if (stored && now < stored.expiresAt) return stored
    // Not stored yet: its expiry is where it would be if hit now.
    return empty(now, now + windowMs)
  },
  used: (counter) => counter.count,
  add(counter, delta, windowMs, now) {
    counter.count = Math.max(0, counter.count + delta)
    // Giving back (settling an overestimate) is not a hit and must not prolong the window.
    if (delta > 0) counter.expiresAt = now + windowMs
  },
  resetAt: (counter) => counter.expiresAt,
  retryAfter: (counter, _limit, _amount, _windowMs, now) => atLeastOneMs(counter.expiresAt - now),
}

/**
 * A sliding-window counter (two aligned buckets of windowMs), not an exact log of timestamps: memory
 * and one Redis round trip stay O(1) per key. The count used is
 *
 *   weighted = previous × (1 − f) + current,   f = elapsed fraction of the current bucket
 *
 * which assumes the previous bucket's hits were spread evenly over it. The error goes both ways: the
 * true count over the trailing windowMs is current + (the previous bucket's hits after now − windowMs),
 * anywhere between current and previous + current. If the previous hits bunched at its start (already
 * outside the trailing window) it refuses too early; if they bunched at its end (still inside) it admits
 * too much: the trailing window can then hold up to limit + previous × f ≤ limit × (1 + f), nearing
 * 2 × limit (a fixed window's worst case) only just before the bucket ends and only for a burst placed
 * exactly so. For evenly spread traffic it is exact; Cloudflare reported 0.003 % of requests wrongly
 * decided on real traffic ("How we built rate limiting capable of scaling to millions of domains", 2017).
 */
const movingWindow: Window = {
  current(stored, windowMs, now) {
    if (stored && now < stored.start + windowMs) return stored
    if (stored && now < stored.start + 2 * windowMs) {
      // The next bucket: the current one becomes the previous one.
      stored.previous = stored.count
      stored.count = 0
      stored.start += windowMs
      stored.expiresAt = stored.start + 2 * windowMs
      return stored
    }
    const start = windowStart(now, windowMs)
    return empty(start, start + 2 * windowMs)
  },
  used(counter, windowMs, now) {
    // Clamped: a clock behind the bucket start counts the previous bucket in full (the safe side).
    const elapsed = Math.min(windowMs, Math.max(0, now - counter.start))
    return weighted(counter, windowMs, elapsed)
  },
  add(counter, delta) {
    // Only the current bucket moves; an estimate consumed in the previous bucket is not given back there.
    counter.count = Math.max(0, counter.count + delta)
  },
  // The end of the current bucket, when the older bucket's weight is fully gone. Capacity frees gradually
  // before that, so this is a late estimate, never an early one: a client waiting for it is not refused
  // for the older bucket's sake.
  resetAt: (counter, windowMs) => counter.start + windowMs,
  retryAfter(counter, limit, amount, windowMs, now) {
    if (amount > limit) return atLeastOneMs(counter.start + (counter.count > 0 ? 2 : 1) * windowMs - now)
    if (counter.count + amount <= limit) {
      // Room comes within this bucket, as the previous bucket's weight fades (previous > 0 here).
      const estimate = windowMs - ((limit - amount - counter.count) * windowMs) / counter.previous
      const elapsed = firstElapsed(windowMs, estimate, (e) => weighted(counter, windowMs, e) + amount <= limit)
      return atLeastOneMs(counter.start + elapsed - now)
    }
    // Not before the next bucket, in which today's count is the fading previous one.
    const next = { start: 0, count: 0, previous: counter.count, expiresAt: 0, insertedAt: 0 }
    const estimate = windowMs - ((limit - amount) * windowMs) / counter.count
    const elapsed = firstElapsed(windowMs, estimate, (e) => weighted(next, windowMs, e) + amount <= limit)
    return atLeastOneMs(counter.start + windowMs + elapsed - now)
  },
}

// Written once and used by both the decision and the retry estimate, so the two agree to the last bit.
function weighted(counter: Counter, windowMs: number, elapsed: number): number {
  return (counter.previous * (windowMs - elapsed)) / windowMs + counter.count
}

/**
 * The first whole millisecond from `estimate` on at which `fits` holds. Floating-point rounding can put
 * the closed-form estimate a millisecond short; a few steps settle it (and the bucket end always fits).
 */
function firstElapsed(windowMs: number, estimate: number, fits: (elapsed: number) => boolean): number {
  let elapsed = Math.max(0, Math.ceil(estimate))
  for (let step = 0; step < 4 && elapsed < windowMs && !fits(elapsed); step++) elapsed++
  return Math.min(elapsed, windowMs)
}

export const windows = {
  'fixed-window': fixedWindow,
  'fixed-window-elastic-expiry': elasticExpiry,
  'moving-window': movingWindow,
} satisfies Record<WindowStrategy, Window>
