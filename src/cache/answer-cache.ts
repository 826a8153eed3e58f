import type { GatewayMetrics } from '../metrics/metrics.js'
import type { BackendWatch } from '../storage/backend-watch.js'
import type { CacheStore } from '../storage/types.js'
import { LocalFlights, type FlightBoard, type FlightClaim } from './flights.js'
import { decodeEntry, encodeEntry, type CacheEntry } from './entry.js'

export interface CachedAnswer {
  entry: CacheEntry
  storedAt: number
}

/**
 * The answer cache over one CacheStore: reads and writes that never fail a request (a backend in
 * trouble is a miss, logged once per interval and counted), and single flight: while one request
 * for a key is being answered upstream, identical requests wait for it and replay what it stored
 * instead of calling the upstream too (in this process, or in every worker with `--workers`).
 */
export class AnswerCache {
  constructor(
    readonly store: CacheStore,
    private readonly metrics: GatewayMetrics,
    private readonly watch: BackendWatch,
    private readonly flights: FlightBoard = new LocalFlights(),
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

  /** Single flight: lead the fetch of `key`, wait for the request that leads it, or neither (flights.ts). */
  claim(key: string, mayLead: boolean): FlightClaim | Promise<FlightClaim> {
    return this.flights.claim(key, mayLead)
  }

  async close(): Promise<void> {
    this.flights.close()
    await this.store.close()
  }
}
