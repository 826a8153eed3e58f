import { ownBackends, type Backends } from '../backends.js'
import type { Notice } from '../notify/index.js'
import { PrimaryCacheStore } from '../storage/primary/cache-store.js'
import { PrimaryCounterStore } from '../storage/primary/counter-store.js'
import { PrimaryFlights } from '../storage/primary/flights.js'
import { PrimaryRecordStore } from '../storage/primary/record-store.js'
import type { Link } from './link.js'

/**
 * The longest a worker waits for the primary: past it a limit check follows limits.onBackendError, a
 * cache read is a miss and a single flight is skipped. The primary is a process on the same machine,
 * not a network service: only a hung primary should ever reach this, so it is long. (limits.backendTimeout,
 * 200 ms by default, is Redis' bound; on a busy machine the primary's answers took longer, and
 * fail-open let limits be exceeded.)
 */
const PRIMARY_CALL_TIMEOUT_MS = 5000

/**
 * A worker's backends: the embedded ones (memory counters, memory or SQLite cache, SQLite records)
 * are the primary's, reached over the link, so the workers behave as one gateway without Redis.
 * Shared backends (Redis, PostgreSQL) are opened by each worker as by separate instances. Single
 * flights and notices always go through the primary (one flight, one notice, for the whole gateway).
 */
export function workerBackends(link: Link): Backends {
  return {
    counterStore: (limits) => (/^rediss?:/.test(limits.backend) ? ownBackends.counterStore(limits) : new PrimaryCounterStore(link, Math.max(limits.backendTimeout, PRIMARY_CALL_TIMEOUT_MS))),
    cacheStore: (options) => (options.backend === 'memory' || options.backend === 'sqlite' ? new PrimaryCacheStore(link, PRIMARY_CALL_TIMEOUT_MS) : ownBackends.cacheStore(options)),
    flights: () => new PrimaryFlights(link, PRIMARY_CALL_TIMEOUT_MS),
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
