import { LRUCache } from 'lru-cache'
import { checkEntryFits, checkKey, checkNow, checkSet, positiveInteger } from '../cache-arguments.js'
import type { CachedValue, CacheStore } from '../types.js'

export interface MemoryCacheStoreOptions {
  /** At most this many entries; past it the least recently used go. Default 10 000. */
  maxEntries?: number
  /** At most this many bytes (values plus key characters); past it the least recently used go. Default 256 MiB. */
  maxBytes?: number
  /** A value larger than this is refused (set() returns false). Default 4 MiB; at most maxBytes. */
  maxEntryBytes?: number
  /** How often expired entries are swept out, besides the drop when an expired key is read. Default 60 s. */
  sweepIntervalMs?: number
}

const MiB = 1024 * 1024
const DEFAULT_MAX_ENTRIES = 10_000
const DEFAULT_MAX_BYTES = 256 * MiB
const DEFAULT_MAX_ENTRY_BYTES = 4 * MiB
const DEFAULT_SWEEP_INTERVAL_MS = 60_000

interface Entry {
  value: Buffer
  storedAt: number
}

/**
 * CacheStore for one process: an LRU (lru-cache) bounded by entries and by bytes, with a TTL per
 * entry. An entry lives while its age is at most its TTL (lru-cache's rule, and Redis' too).
 */
export class MemoryCacheStore implements CacheStore {
  readonly #cache: LRUCache<string, Entry>
  readonly #maxEntryBytes: number
  readonly #maxBytes: number
  readonly #sweepTimer: NodeJS.Timeout
  // The time of the call in progress, which lru-cache reads as its clock: so get and set honour the
  // caller's `now` (tests need no sleep; one clock with the SQLite store). Each call runs to its end
  // synchronously, so no other call ever sees this value.
  #now = Date.now()
  #evictions = 0
  #closed = false

  constructor(options: MemoryCacheStoreOptions = {}) {
    const name = 'MemoryCacheStore'
    const maxEntries = positiveInteger(name, 'maxEntries', options.maxEntries ?? DEFAULT_MAX_ENTRIES)
    const maxBytes = positiveInteger(name, 'maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES)
    this.#maxBytes = maxBytes
    this.#maxEntryBytes = positiveInteger(name, 'maxEntryBytes', options.maxEntryBytes ?? Math.min(DEFAULT_MAX_ENTRY_BYTES, maxBytes))
    checkEntryFits(name, this.#maxEntryBytes, maxBytes)
    const sweepIntervalMs = positiveInteger(name, 'sweepIntervalMs', options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS)
    this.#cache = new LRUCache<string, Entry>({
      max: maxEntries,
      maxSize: maxBytes,
      // Plus the key: many small answers under long keys must not escape the bound.
      sizeCalculation: (entry, key) => entry.value.length + key.length,
      perf: { now: () => this.#now },
      // 0: read the clock at every check; the default (1 ms) would keep one caller's `now` for the next.
      ttlResolution: 0,
      dispose: (_entry, _key, reason) => {
        // 'set' (overwritten) and 'delete' (asked for, or close) are not evictions.
        if (reason === 'evict' || reason === 'expire') this.#evictions++
      },
    })
    // unref: an idle sweep must never keep the process alive.
    this.#sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs).unref()
  }

  get evictions(): number {
    return this.#evictions
  }

  /** Bytes held (values plus key characters), expired entries included until swept: a metric. */
  get bytes(): number {
    return this.#cache.calculatedSize
  }

  /** Entries held, expired ones included until swept: a metric. */
  get entries(): number {
    return this.#cache.size
  }

  async get(key: string, now = Date.now()): Promise<CachedValue | undefined> {
    checkKey('MemoryCacheStore', key)
    checkNow('MemoryCacheStore', now)
    this.#checkOpen()
    this.#now = now
    const entry = this.#cache.get(key)
    // A copy, as the other backends give: a caller that writes into it must not change the cache.
    return entry && { value: Buffer.from(entry.value), storedAt: entry.storedAt }
  }

  async set(key: string, value: Buffer, ttlMs: number, now = Date.now()): Promise<boolean> {
    checkSet('MemoryCacheStore', key, value, ttlMs, now)
    this.#checkOpen()
    // Checked here, not by lru-cache's maxEntrySize, which would also drop the key's current value.
    // With its key, a value at the cap may still not fit in the whole store.
    if (value.length > this.#maxEntryBytes || value.length + key.length > this.#maxBytes) return false
    this.#now = now
    // A copy: the caller's buffer may be a slice of a pooled one that is written over later.
    this.#cache.set(key, { value: Buffer.from(value), storedAt: now }, { ttl: ttlMs })
    return true
  }

  async delete(key: string): Promise<void> {
    checkKey('MemoryCacheStore', key)
    this.#checkOpen()
    this.#cache.delete(key)
  }

  /** Drops every entry expired at `now`, counting each as an eviction; runs on a timer, callable directly (tests). */
  sweep(now = Date.now()): void {
    this.#now = now
    this.#cache.purgeStale()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweepTimer)
    // clear() disposes with reason 'delete': closing is not evicting.
    this.#cache.clear()
  }

  // As the other backends: a store used after close is a bug in the shutdown order, so say so.
  #checkOpen(): void {
    if (this.#closed) throw new Error('MemoryCacheStore: the store is closed')
  }
}
