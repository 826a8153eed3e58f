import { LocalFlights, type FlightBoard } from './cache/flights.js'
import type { Config, LimitsConfig } from './config/schema.js'
import type { Logger } from './log.js'
import { createNotifiers, type Notice } from './notify/index.js'
import { openRecordStore } from './records/open.js'
import { createCacheStore, type CacheStoreOptions } from './storage/cache-store.js'
import { createCounterStore } from './storage/counter-store.js'
import type { CacheStore, CounterStore, RecordStore } from './storage/types.js'

/** Where error notices go: the senders themselves, or (a worker) the primary, which sends for all. */
export interface NoticeSink {
  notify(notice: Notice): void
  close(): Promise<void>
}

/**
 * Where a runtime keeps the state that must be one for the whole gateway: counters, cached answers
 * and their single flights, records and notices. A single process opens them itself (this module's
 * `ownBackends`); a worker of `--workers` reaches the primary's for the embedded backends
 * (cluster/worker-backends.ts). The runtime never knows which.
 */
export interface Backends {
  counterStore(limits: LimitsConfig): CounterStore
  cacheStore(options: CacheStoreOptions): CacheStore
  flights(): FlightBoard
  /** Where records are written, and whether this process prunes them (retention); undefined when records are off. */
  recordStore(config: Readonly<Config>): { store: RecordStore; prunes: boolean } | undefined
  notices(config: Readonly<Config>, logger: Logger): NoticeSink | undefined
}

/** Everything opened in this process: the single-process gateway, and the primary of `--workers`. */
export const ownBackends: Backends = {
  counterStore: createCounterStore,
  cacheStore: createCacheStore,
  flights: () => new LocalFlights(),
  recordStore(config) {
    const store = openRecordStore(config)
    return store === undefined ? undefined : { store, prunes: true }
  },
  notices: (config, logger) => createNotifiers(config.notify, logger),
}
