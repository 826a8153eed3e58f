import type { ConsumeResult, CounterStore, WindowLimit, WindowState, WindowStrategy } from '../types.js'
import { type Counter, type Window, windows } from './windows.js'

export interface MemoryCounterStoreOptions {
  /**
   * At most this many keys are kept; past it the least recently used go. A counter costs roughly
   * 150–250 bytes with its key, so the default 100 000 is some 20 MB at worst: enough for one live key
   * per client × scope × limit on a busy single instance. An evicted live counter restarts at zero
   * (the limit admits more than it should), so size this above the number of keys active in a window.
   */
  maxKeys?: number
  /** How often expired counters are swept out, besides the lazy drop when a key is read. */
  sweepIntervalMs?: number
}

const DEFAULT_MAX_KEYS = 100_000
const DEFAULT_SWEEP_INTERVAL_MS = 60_000

/**
 * CounterStore for one process, exact: JavaScript runs each call from start to end without
 * interleaving, so check-then-add needs no lock (the async methods do all their work synchronously).
 *
 * Keys are opaque: one key is one limit under one strategy. Callers build keys that include the limit
 * (as `limits`' key_for does), so two limits never share a counter.
 */
export class MemoryCounterStore implements CounterStore {
  // A Map keeps insertion order, so re-inserting a key on use makes the first key the least recently
  // used. A re-insert on every use showed in the profile as costing more than the check itself, so a
  // key is re-inserted only once it has fallen into the older half (more than maxKeys/2 insertions
  // ago): a key in use is still never evicted before one idle since, which matters when many one-off
  // keys (a scan of addresses) flood the store, yet the busy keys pay a re-insert only now and then.
  readonly #counters = new Map<string, Counter>()
  /** Insertions since the store started: the clock of Counter.insertedAt. */
  #insertions = 0
  readonly #maxKeys: number
  readonly #sweepTimer: NodeJS.Timeout

  constructor(options: MemoryCounterStoreOptions = {}) {
    this.#maxKeys = positiveInteger('maxKeys', options.maxKeys ?? DEFAULT_MAX_KEYS)
    const sweepIntervalMs = positiveInteger('sweepIntervalMs', options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS)
    // unref: an idle sweep must never keep the process alive.
    this.#sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs).unref()
  }

  /** Number of keys held (expired ones included until swept). */
  get size(): number {
    return this.#counters.size
  }

  async consume(limits: readonly WindowLimit[], amount: number, strategy: WindowStrategy, now = Date.now()): Promise<ConsumeResult> {
    return this.consumeNow(limits, amount, strategy, now)
  }

  /** `consume` without the promise: the relay calls this one, so a memory limit costs no extra tick per request. */
  consumeNow(limits: readonly WindowLimit[], amount: number, strategy: WindowStrategy, now = Date.now()): ConsumeResult {
    if (!(Number.isFinite(amount) && amount >= 0)) throw new RangeError(`consume: amount must be a finite number >= 0 (got ${amount})`)
    const window = windowFor(strategy)
    // Plain loops over a preallocated array: map/forEach closures showed in the limiter's profile.
    const count = limits.length
    const counters: Counter[] = new Array(count)
    let admitted = true
    let retryAfterMs = 0
    for (let i = 0; i < count; i++) {
      const limit = checkLimit(limits[i]!)
      const counter = (counters[i] = this.#load(limit, window, now))
      if (window.used(counter, limit.windowMs, now) + amount > limit.limit) {
        admitted = false
        retryAfterMs = Math.max(retryAfterMs, window.retryAfter(counter, limit.limit, amount, limit.windowMs, now))
      }
    }
    // amount 0 is a pure check: it must not create keys or, for elastic expiry, push an expiry.
    if (admitted && amount > 0) {
      for (let i = 0; i < count; i++) {
        const limit = limits[i]!
        window.add(counters[i]!, amount, limit.windowMs, now)
        this.#save(limit.key, counters[i]!)
      }
    }
    const states: WindowState[] = new Array(count)
    for (let i = 0; i < count; i++) {
      const limit = limits[i]!
      const counter = counters[i]!
      // Floored: moving-window counts are fractional, and headers want whole units.
      const remaining = Math.max(0, Math.floor(limit.limit - window.used(counter, limit.windowMs, now)))
      states[i] = { limit: limit.limit, remaining, resetAt: window.resetAt(counter, limit.windowMs) }
    }
    return { admitted, states, retryAfterMs }
  }

  async adjust(limits: readonly WindowLimit[], delta: number, strategy: WindowStrategy, now = Date.now()): Promise<void> {
    if (!Number.isFinite(delta)) throw new RangeError(`adjust: delta must be a finite number (got ${delta})`)
    const window = windowFor(strategy)
    for (const limit of limits) {
      const counter = this.#load(checkLimit(limit), window, now)
      // Giving back to a key with nothing counted stores nothing.
      if (delta === 0 || (delta < 0 && counter.count === 0)) continue
      window.add(counter, delta, limit.windowMs, now)
      this.#save(limit.key, counter)
    }
  }

  /** Drops every counter that no longer matters at `now`; runs on a timer, callable directly (tests). */
  sweep(now = Date.now()): void {
    // Deleting the entry being visited is safe in a Map iteration.
    for (const [key, counter] of this.#counters) if (now >= counter.expiresAt) this.#counters.delete(key)
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer)
    this.#counters.clear()
  }

  /** The key's counter at `now`; a stale one is dropped on the spot. */
  #load(limit: WindowLimit, window: Window, now: number): Counter {
    const stored = this.#counters.get(limit.key)
    const counter = window.current(stored, limit.windowMs, now)
    if (stored === undefined) return counter
    if (counter !== stored) this.#counters.delete(limit.key)
    else if (this.#insertions - stored.insertedAt > this.#maxKeys / 2) {
      this.#counters.delete(limit.key)
      this.#insert(limit.key, stored)
    }
    return counter
  }

  #save(key: string, counter: Counter): void {
    if (this.#counters.get(key) === counter) return
    this.#counters.delete(key)
    while (this.#counters.size >= this.#maxKeys) {
      const oldest = this.#counters.keys().next()
      if (oldest.done === true) break
      this.#counters.delete(oldest.value)
    }
    this.#insert(key, counter)
  }

  #insert(key: string, counter: Counter): void {
    this.#counters.set(key, counter)
    counter.insertedAt = ++this.#insertions
  }
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value
  throw new RangeError(`MemoryCounterStore: option ${name} must be a positive integer (got ${String(value)})`)
}

function windowFor(strategy: WindowStrategy): Window {
  // Guards JavaScript callers and config that bypassed the type: an unknown name must not pass as no limit.
  if (!Object.hasOwn(windows, strategy)) {
    throw new RangeError(`unknown window strategy ${JSON.stringify(strategy)} (expected ${Object.keys(windows).join(', ')})`)
  }
  return windows[strategy]
}

function checkLimit(limit: WindowLimit): WindowLimit {
  if (!(Number.isSafeInteger(limit.windowMs) && limit.windowMs > 0)) {
    throw new RangeError(`limit ${limit.key}: windowMs must be a positive integer (got ${limit.windowMs})`)
  }
  if (!(Number.isFinite(limit.limit) && limit.limit >= 0)) {
    throw new RangeError(`limit ${limit.key}: limit must be a finite number >= 0 (got ${limit.limit})`)
  }
  return limit
}
