import type { GatewayMetrics } from '../metrics/metrics.js'
import type { BackendWatch } from '../storage/backend-watch.js'
import type { CacheStore } from '../storage/types.js'
import { decodeEntry, encodeEntry, type CacheEntry } from './entry.js'

export interface CachedAnswer {
  entry: CacheEntry
  storedAt: number
}

/**
 * The answer cache over one CacheStore: reads and writes that never fail a request (a backend in
 * trouble is a miss, logged once per interval and counted), and single flight: while one request
 * for a key is being answered upstream, identical requests in this process wait for it and replay
 * what it stored instead of calling the upstream too.
 */
export class AnswerCache {
  private readonly inflight = new Map<string, Promise<void>>()

  constructor(
    readonly store: CacheStore,
    private readonly metrics: GatewayMetrics,
    private readonly watch: BackendWatch,
  ) {}

  async read(key: string): Promise<CachedAnswer | undefined> {
    try {
      const cached = await this.store.get(key)
      this.watch.succeeded()
      if (cached === undefined) return undefined
      const entry = decodeEntry(cached.value)
      return entry === undefined ? undefined : { entry, storedAt: cached.storedAt }
    } catch (error) {
      this.watch.failed(error)
      return undefined
    }
  }

  /** Stores an answer; false when it was not kept (too big for the store, or the backend failed). */
  async write(key: string, entry: CacheEntry, ttlMs: number): Promise<boolean> {
    const bytes = encodeEntry(entry)
    try {
      const stored = await this.store.set(key, bytes, ttlMs)
      this.watch.succeeded()
      if (stored) this.metrics.cacheStoredBytes.inc(bytes.length)
      return stored
    } catch (error) {
      this.watch.failed(error)
      return false
    }
  }

  /** The answer in progress for this key, if another request is fetching it. */
  pending(key: string): Promise<void> | undefined {
    return this.inflight.get(key)
  }

  /** Marks this request as the one fetching `key`; the returned function ends that (call it once, always). */
  lead(key: string): () => void {
    let release!: () => void
    const done = new Promise<void>((resolve) => {
      release = resolve
    })
    this.inflight.set(key, done)
    return () => {
      if (this.inflight.get(key) === done) this.inflight.delete(key)
      release()
    }
  }

  async close(): Promise<void> {
    await this.store.close()
  }
}
