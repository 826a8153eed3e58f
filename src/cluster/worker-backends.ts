import { ownBackends, type Backends } from '../backends.js'
import type { Notice } from '../notify/index.js'
import { PrimaryCacheStore } from '../storage/primary/cache-store.js'
import { PrimaryCounterStore } from '../storage/primary/counter-store.js'
import { PrimaryFlights } from '../storage/primary/flights.js'
import { PrimaryRecordStore } from '../storage/primary/record-store.js'
import type { Link } from './link.js'

/** The longest a worker waits for the primary's cache store; past it the request is a miss (the cache's usual policy). */
const CACHE_CALL_TIMEOUT_MS = 2000

/**
 * A worker's backends: the embedded ones (memory counters, memory or SQLite cache, SQLite records)
 * are the primary's, reached over the link, so the workers behave as one gateway without Redis.
 * Shared backends (Redis, PostgreSQL) are opened by each worker as by separate instances. Single
 * flights and notices always go through the primary (one flight, one notice, for the whole gateway).
 */
export function workerBackends(link: Link): Backends {
  return {
    counterStore: (limits) => (/^rediss?:/.test(limits.backend) ? ownBackends.counterStore(limits) : new PrimaryCounterStore(link, limits.backendTimeout)),
    cacheStore: (options) => (options.backend === 'memory' || options.backend === 'sqlite' ? new PrimaryCacheStore(link, CACHE_CALL_TIMEOUT_MS) : ownBackends.cacheStore(options)),
    flights: () => new PrimaryFlights(link, CACHE_CALL_TIMEOUT_MS),
    recordStore: (config) => (config.records.backend === 'sqlite' ? { store: new PrimaryRecordStore(link), prunes: false } : ownBackends.recordStore(config)),
    notices: (config) =>
      config.notify === undefined
        ? undefined
        : {
            notify: (notice: Notice) => link.send('notices.notify', notice),
            close: async () => {},
          },
  }
}
