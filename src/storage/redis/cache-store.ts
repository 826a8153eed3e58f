import { EventEmitter } from 'node:events'
import type { Redis } from 'ioredis'
import { checkKey, checkNow, checkSet, positiveInteger } from '../cache-arguments.js'
import type { CachedValue, CacheStore } from '../types.js'
import { RedisConnection, type RedisConnectionEvents } from './connection.js'

export interface RedisCacheStoreOptions {
  /** Redis to open, default redis://127.0.0.1:6379. Give `url` or `client`, not both. */
  url?: string
  /** An ioredis client to use; it stays open on close(), and its own queue and retry options apply. */
  client?: Redis
  /** Put before every key, so that several gateways or tests can share one Redis. Default `llm-relay:cache:`. */
  keyPrefix?: string
  /** The longest one get, set or delete may take before it rejects. Default 500 ms: answers run to megabytes. */
  commandTimeoutMs?: number
  /** A value larger than this is refused (set() returns false). Default 4 MiB. */
  maxEntryBytes?: number
}

const NAME = 'RedisCacheStore'
const DEFAULT_KEY_PREFIX = 'llm-relay:cache:'
const DEFAULT_COMMAND_TIMEOUT_MS = 500
const DEFAULT_MAX_ENTRY_BYTES = 4 * 1024 * 1024

/**
 * The stored string is a 16-byte header, then the value: storedAt and expiresAt as big-endian
 * float64 epoch ms (exact for any JavaScript time). One plain string keeps set to one SET … PX and
 * get to one GET, where a hash would need MULTI with PEXPIRE and HMGET.
 */
const HEADER_BYTES = 16

function checkOptions(options: RedisCacheStoreOptions): void {
  if (options.url !== undefined && options.client !== undefined) throw new TypeError(`${NAME}: give either options.url or options.client, not both`)
  if (options.url !== undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    throw new TypeError(`${NAME}: options.url must be a redis:// or rediss:// URL (got ${String(options.url)})`)
  }
  if (options.client !== undefined && (typeof options.client !== 'object' || typeof options.client.getBuffer !== 'function')) {
    throw new TypeError(`${NAME}: options.client must be an ioredis client`)
  }
  if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string') throw new TypeError(`${NAME}: options.keyPrefix must be a string`)
  const timeout = options.commandTimeoutMs
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 60_000)) {
    throw new RangeError(`${NAME}: options.commandTimeoutMs must be an integer from 1 to 60000 (got ${String(timeout)})`)
  }
}

/**
 * CacheStore on Redis, shared by every gateway instance on the same Redis and prefix. Redis drops a
 * key itself when its PX time is up; get also checks expiresAt against the caller's `now`, so an
 * entry lives while its age is at most its TTL by the caller's clock as in the other backends (with
 * instance clocks apart, the earlier expiry wins; never a later one).
 *
 * `evictions` stays 0: Redis expires keys (and, under maxmemory, evicts them) without telling the
 * client; its own INFO stats (expired_keys, evicted_keys) count them.
 *
 * Failures (Redis down, slower than commandTimeoutMs, refusing the command) reject with
 * RedisUnavailableError: the caller treats them as a miss or a skipped store, never as a failed request.
 */
export class RedisCacheStore extends EventEmitter<RedisConnectionEvents> implements CacheStore {
  readonly evictions = 0
  readonly #connection: RedisConnection
  readonly #prefix: string
  readonly #maxEntryBytes: number

  constructor(options: RedisCacheStoreOptions = {}) {
    super()
    checkOptions(options)
    this.#maxEntryBytes = positiveInteger(NAME, 'maxEntryBytes', options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES)
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
    this.#connection = new RedisConnection({
      url: options.url,
      client: options.client,
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    })
    this.#connection.on('available', () => this.emit('available'))
    this.#connection.on('unavailable', (error) => this.emit('unavailable', error))
  }

  /** True while the connection to Redis is ready. */
  get healthy(): boolean {
    return this.#connection.healthy
  }

  async get(key: string, now = Date.now()): Promise<CachedValue | undefined> {
    checkKey(NAME, key)
    checkNow(NAME, now)
    const stored = await this.#connection.run(() => this.#connection.client.getBuffer(this.#prefix + key))
    // Shorter than a header: not written by this store (a foreign key under our prefix); a miss.
    if (stored === null || stored.length < HEADER_BYTES) return undefined
    if (now > stored.readDoubleBE(8)) return undefined
    return { value: stored.subarray(HEADER_BYTES), storedAt: stored.readDoubleBE(0) }
  }

  async set(key: string, value: Buffer, ttlMs: number, now = Date.now()): Promise<boolean> {
    checkSet(NAME, key, value, ttlMs, now)
    if (value.length > this.#maxEntryBytes) return false
    const stored = Buffer.allocUnsafe(HEADER_BYTES + value.length)
    stored.writeDoubleBE(now, 0)
    stored.writeDoubleBE(now + ttlMs, 8)
    value.copy(stored, HEADER_BYTES)
    await this.#connection.run(() => this.#connection.client.set(this.#prefix + key, stored, 'PX', ttlMs))
    return true
  }

  async delete(key: string): Promise<void> {
    checkKey(NAME, key)
    await this.#connection.run(() => this.#connection.client.del(this.#prefix + key))
  }

  async close(): Promise<void> {
    await this.#connection.close()
  }
}
