import { MemoryCacheStore } from './memory/cache-store.js'
import { RedisCacheStore } from './redis/cache-store.js'
import { SqliteCacheStore } from './sqlite/cache-store.js'
import type { CacheStore } from './types.js'

/**
 * Where cached answers live. Unset options take each backend's default, all bounded:
 * - memory: 10 000 entries, 256 MiB in all, 4 MiB per entry; one process, gone on restart.
 * - sqlite: `path` (default ./data/cache.sqlite, the file in the default dataDir), 1 GiB in all,
 *   4 MiB per entry; survives restarts.
 * - a redis:// or rediss:// URL: shared by instances; key prefix `llm-relay:cache:`, 500 ms per
 *   command, 4 MiB per entry; the total is Redis' own maxmemory.
 * An option that does not apply to the chosen backend is refused, so a misplaced one is not silently ignored.
 */
export interface CacheStoreOptions {
  backend: 'memory' | 'sqlite' | (string & {})
  /** sqlite: the file. */
  path?: string
  /** memory: the most entries. */
  maxEntries?: number
  /** memory, sqlite: the most bytes in all (values plus keys). */
  maxBytes?: number
  /** Every backend: the largest value stored; a larger one is refused. */
  maxEntryBytes?: number
  /** redis: put before every key. */
  keyPrefix?: string
  /** redis: the longest one command may take. */
  commandTimeoutMs?: number
}

const DEFAULT_SQLITE_PATH = './data/cache.sqlite'

type OptionName = Exclude<keyof CacheStoreOptions, 'backend'>

/** The only switch on the cache backend. */
export function createCacheStore(options: CacheStoreOptions): CacheStore {
  const { backend, path, maxEntries, maxBytes, maxEntryBytes, keyPrefix, commandTimeoutMs } = options
  if (backend === 'memory') {
    onlyOptions(options, 'memory', ['maxEntries', 'maxBytes', 'maxEntryBytes'])
    return new MemoryCacheStore({ maxEntries, maxBytes, maxEntryBytes })
  }
  if (backend === 'sqlite') {
    onlyOptions(options, 'sqlite', ['path', 'maxBytes', 'maxEntryBytes'])
    return new SqliteCacheStore({ path: path ?? DEFAULT_SQLITE_PATH, maxBytes, maxEntryBytes })
  }
  if (/^rediss?:\/\//.test(backend)) {
    onlyOptions(options, 'redis', ['maxEntryBytes', 'keyPrefix', 'commandTimeoutMs'])
    return new RedisCacheStore({ url: backend, keyPrefix, commandTimeoutMs, maxEntryBytes })
  }
  throw new RangeError(`createCacheStore: backend must be memory, sqlite or a redis:// or rediss:// URL (got ${JSON.stringify(backend)})`)
}

function onlyOptions(options: CacheStoreOptions, backend: string, allowed: readonly OptionName[]): void {
  const misplaced = Object.entries(options)
    .filter(([name, value]) => name !== 'backend' && value !== undefined && !allowed.includes(name as OptionName))
    .map(([name]) => name)
  if (misplaced.length > 0) throw new RangeError(`createCacheStore: ${misplaced.join(', ')} does not apply to the ${backend} backend`)
}
