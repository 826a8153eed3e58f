import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import { createCacheStore } from '../../src/storage/cache-store.js'
import { MemoryCacheStore } from '../../src/storage/memory/cache-store.js'
import { RedisUnavailableError } from '../../src/storage/redis/connection.js'
import { RedisCacheStore, type RedisCacheStoreOptions } from '../../src/storage/redis/cache-store.js'
import { SqliteCacheStore, type SqliteCacheStoreOptions } from '../../src/storage/sqlite/cache-store.js'
import { cacheStoreContract } from '../contract/cache-store.js'
import { freePort } from '../helpers/ports.js'
import { reachable, redisUrl } from '../helpers/services.js'

const MINUTE = 60_000
const T0 = Date.now()

// ---- SQLite: every file in one temporary folder, removed at the end.

const dir = mkdtempSync(join(tmpdir(), 'llm-relay-cache-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const freshPath = () => join(dir, `${randomUUID()}.sqlite`)

cacheStoreContract('sqlite', ({ maxEntryBytes }) => new SqliteCacheStore({ path: freshPath(), maxEntryBytes }))

describe('SqliteCacheStore', () => {
  function storeFor(t: TestContext, options: Partial<SqliteCacheStoreOptions> = {}): SqliteCacheStore {
    const store = new SqliteCacheStore({ path: freshPath(), ...options })
    t.after(() => store.close())
    return store
  }

  async function present(store: SqliteCacheStore, keys: string[], now = T0): Promise<string[]> {
    const found: string[] = []
    for (const key of keys) if ((await store.get(key, now)) !== undefined) found.push(key)
    return found
  }

  test('options are checked in the constructor, in words that name the option', () => {
    assert.throws(() => new SqliteCacheStore({ path: '' }), /option path must be a file path or :memory:/)
    assert.throws(() => new SqliteCacheStore({ path: freshPath(), maxBytes: 0 }), /option maxBytes must be a positive integer/)
    assert.throws(() => new SqliteCacheStore({ path: freshPath(), maxBytes: 10, maxEntryBytes: 11 }), /maxEntryBytes \(11\) must not exceed maxBytes \(10\)/)
    assert.throws(() => new SqliteCacheStore({ path: freshPath(), pruneIntervalMs: -5 }), /option pruneIntervalMs must be a positive integer/)
    assert.throws(() => new SqliteCacheStore({ path: freshPath(), onPruneError: 'log' as unknown as () => void }), /option onPruneError must be a function/)
  })

  test('entries survive a close and a reopen of the same file, with their storedAt, TTL and totals', async () => {
    const path = freshPath()
    const first = new SqliteCacheStore({ path })
    const binary = Buffer.from([0x00, 0xff, 0x80, 0x00])
    await first.set('binary', binary, MINUTE, T0)
    await first.set('short-lived', Buffer.from('gone after 1 s'), 1_000, T0)
    await first.set('deleted', Buffer.from('x'), MINUTE, T0)
    await first.delete('deleted')
    const totals = [first.bytes, first.entries]
    await first.close()

    const second = new SqliteCacheStore({ path })
    try {
      assert.deepEqual([second.bytes, second.entries], totals)
      assert.deepEqual(await second.get('binary', T0 + 1_000), { value: binary, storedAt: T0 })
      assert.equal((await second.get('short-lived', T0 + 1_000))?.value.toString(), 'gone after 1 s')
      assert.equal(await second.get('short-lived', T0 + 1_001), undefined, 'the TTL still counts from the first set')
      assert.equal(await second.get('deleted', T0), undefined)
      assert.equal(second.evictions, 0, 'evictions count from the open')
    } finally {
      await second.close()
    }
  })

  test('past maxBytes the oldest stored go, in order of storedAt, whatever was read since', async (t) => {
    // Each entry is 99 bytes + a 1-character key: room for exactly 3.
    const store = storeFor(t, { maxBytes: 300, maxEntryBytes: 200 })
    for (const [i, key] of ['a', 'b', 'c'].entries()) await store.set(key, Buffer.alloc(99, key), MINUTE, T0 + i)
    assert.deepEqual([store.bytes, store.entries, store.evictions], [300, 3, 0])
    await store.get('a', T0 + 10) // a read does not make an entry younger here
    await store.set('d', Buffer.alloc(99, 'd'), MINUTE, T0 + 20)
    assert.deepEqual(await present(store, ['a', 'b', 'c', 'd']), ['b', 'c', 'd'])
    assert.deepEqual([store.bytes, store.evictions], [300, 1])
    // A large entry drops as many as it needs, and no more.
    await store.set('e', Buffer.alloc(199, 'e'), MINUTE, T0 + 30)
    assert.deepEqual(await present(store, ['b', 'c', 'd', 'e']), ['d', 'e'])
    assert.deepEqual([store.bytes, store.entries, store.evictions], [300, 2, 3])
  })

  test('past maxBytes expired rows go before older live ones', async (t) => {
    const store = storeFor(t, { maxBytes: 300, maxEntryBytes: 200 })
    await store.set('a', Buffer.alloc(99), MINUTE, T0)
    await store.set('b', Buffer.alloc(99), MINUTE, T0 + 1)
    await store.set('x', Buffer.alloc(99), 1_000, T0 + 2)
    await store.set('c', Buffer.alloc(99), MINUTE, T0 + 5_000)
    assert.deepEqual(await present(store, ['a', 'b', 'x', 'c'], T0 + 5_000), ['a', 'b', 'c'])
    assert.deepEqual([store.entries, store.evictions], [3, 1])
  })

  test('a value at the cap that does not fit in maxBytes with its key is refused, and the key keeps its value', async (t) => {
    const store = storeFor(t, { maxBytes: 100, maxEntryBytes: 100 })
    assert.equal(await store.set('k', Buffer.from('kept'), MINUTE, T0), true)
    assert.equal(await store.set('k', Buffer.alloc(100), MINUTE, T0), false)
    assert.deepEqual(await store.get('k', T0), { value: Buffer.from('kept'), storedAt: T0 })
  })

  test('an overwrite counts its new size once', async (t) => {
    const store = storeFor(t)
    await store.set('k', Buffer.alloc(100), MINUTE, T0)
    await store.set('k', Buffer.alloc(10), MINUTE, T0)
    assert.deepEqual([store.bytes, store.entries], [11, 1])
  })

  test('pruneExpired deletes expired rows in batches of at most `limit`, counting them', async (t) => {
    const store = storeFor(t)
    for (let i = 0; i < 5; i++) await store.set(`expired-${i}`, Buffer.from('e'), 1_000, T0)
    await store.set('alive', Buffer.from('a'), MINUTE, T0)
    assert.equal(store.pruneExpired(T0 + 1_000), 0, 'alive at age = TTL')
    assert.equal(store.pruneExpired(T0 + 1_001, 3), 3)
    assert.equal(store.pruneExpired(T0 + 1_001, 3), 2)
    assert.equal(store.pruneExpired(T0 + 1_001, 3), 0)
    assert.deepEqual([store.entries, store.evictions], [1, 5])
    assert.equal((await store.get('alive', T0 + 1_001))?.value.toString(), 'a')
  })

  test('one tick of the timer prunes every expired row, batch after batch', async (t) => {
    const store = storeFor(t, { pruneIntervalMs: 300 })
    // 250 rows: three batches, so the prune must go on after its first one without waiting for the next tick.
    const now = Date.now()
    for (let i = 0; i < 250; i++) await store.set(`expired-${i}`, Buffer.from('e'), 1, now - 10)
    await store.set('alive', Buffer.from('a'), MINUTE, now)
    const deadline = Date.now() + 2_000
    while (store.entries === 251 && Date.now() < deadline) await sleep(5)
    assert.ok(store.entries < 251, 'the first tick came')
    // The rest follow within immediates, long before the next tick 300 ms later.
    while (store.entries > 1 && Date.now() < deadline + 2_000) await sleep(5)
    assert.deepEqual([store.entries, store.evictions], [1, 250])
  })

  test('a failing background prune is reported to onPruneError, not thrown from the timer', async (t) => {
    const path = freshPath()
    const errors: unknown[] = []
    storeFor(t, { path, pruneIntervalMs: 10, onPruneError: (error) => errors.push(error) })
    // Another connection breaks the file under the store: every prune now fails.
    const other = new Database(path)
    other.exec('DROP TABLE cache_v1')
    other.close()
    const deadline = Date.now() + 2_000
    while (errors.length < 2 && Date.now() < deadline) await sleep(10)
    assert.ok(errors.length >= 2, 'reported at each tick')
    assert.match(String(errors[0]), /no such table: cache_v1/)
  })

  test('two stores on one file share entries and totals (two processes, as SQLite sees them)', async (t) => {
    const path = freshPath()
    const a = storeFor(t, { path })
    const b = storeFor(t, { path })
    await a.set('shared', Buffer.from('from a'), MINUTE, T0)
    assert.equal((await b.get('shared', T0))?.value.toString(), 'from a')
    assert.deepEqual([b.bytes, b.entries], [a.bytes, a.entries])
    await b.delete('shared')
    assert.equal(await a.get('shared', T0), undefined)
    assert.equal(a.entries, 0)
  })
})

// ---- Redis: one key prefix per run; every key under it is deleted at the end.

const contractUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const runPrefix = `llm-relay:test:cache:${randomUUID()}:`
const redisUp = await reachable(contractUrl, 6379)

if (redisUp) {
  after(async () => {
    const client = new Redis(contractUrl)
    try {
      const keys = await client.keys(`${runPrefix}*`)
      if (keys.length > 0) await client.del(...keys)
    } finally {
      await client.quit()
    }
  })
  // A generous timeout: the contract tests semantics, on a machine that may be busy.
  cacheStoreContract('redis', ({ maxEntryBytes }) => new RedisCacheStore({ url: contractUrl, keyPrefix: runPrefix, commandTimeoutMs: 5000, maxEntryBytes }))
} else {
  test('CacheStore contract: redis', (t) => {
    const message = `Redis is not reachable at ${contractUrl}`
    if (process.env.LLM_RELAY_REQUIRE_SERVICES === '1') throw new Error(`${message} (LLM_RELAY_REQUIRE_SERVICES=1)`)
    t.skip(`${message}: skipped (set REDIS_URL or start it)`)
  })
}

describe('RedisCacheStore', () => {
  function storeFor(t: TestContext, url: string, options: RedisCacheStoreOptions = {}): RedisCacheStore {
    const store = new RedisCacheStore({ url, keyPrefix: runPrefix, commandTimeoutMs: 5000, ...options })
    t.after(() => store.close())
    return store
  }

  function clientFor(t: TestContext, url: string): Redis {
    const client = new Redis(url)
    t.after(() => client.quit())
    return client
  }

  test('options are checked in the constructor, in words that name the option', () => {
    assert.throws(() => new RedisCacheStore({ url: 'http://localhost' }), /options\.url must be a redis:\/\//)
    assert.throws(() => new RedisCacheStore({ commandTimeoutMs: 0 }), /options\.commandTimeoutMs must be an integer from 1/)
    assert.throws(() => new RedisCacheStore({ keyPrefix: 3 as unknown as string }), /options\.keyPrefix must be a string/)
    assert.throws(() => new RedisCacheStore({ maxEntryBytes: 0 }), /option maxEntryBytes must be a positive integer/)
    const client = new Redis({ lazyConnect: true })
    assert.throws(() => new RedisCacheStore({ url: 'redis://127.0.0.1:6379', client }), /options\.url or options\.client, not both/)
    client.disconnect()
  })

  test('one SET … PX: the key expires in Redis after its TTL; the value is a 16-byte header then the bytes', async (t) => {
    const url = await redisUrl(t)
    if (!url) return
    const store = storeFor(t, url)
    const client = clientFor(t, url)
    const key = `layout:${randomUUID()}`
    const value = Buffer.from([0x00, 0xff, 0x10])
    const now = Date.now()
    await store.set(key, value, MINUTE, now)
    const pttl = await client.pttl(runPrefix + key)
    assert.ok(pttl > MINUTE - 5_000 && pttl <= MINUTE, `pttl ${pttl}`)
    const raw = await client.getBuffer(runPrefix + key)
    assert.ok(raw)
    assert.deepEqual([raw.length, raw.readDoubleBE(0), raw.readDoubleBE(8)], [16 + 3, now, now + MINUTE])
    assert.ok(raw.subarray(16).equals(value))
    assert.equal(store.evictions, 0, 'Redis expires keys itself')
  })

  test('the default key prefix is llm-relay:cache:', async (t) => {
    const url = await redisUrl(t)
    if (!url) return
    const store = new RedisCacheStore({ url, commandTimeoutMs: 5000 })
    t.after(() => store.close())
    const client = clientFor(t, url)
    const key = `llm-relay-test:${randomUUID()}`
    try {
      await store.set(key, Buffer.from('v'), MINUTE)
      assert.equal(await client.exists(`llm-relay:cache:${key}`), 1)
    } finally {
      await client.del(`llm-relay:cache:${key}`)
    }
  })

  test('a value this store did not write (shorter than the header) reads as a miss', async (t) => {
    const url = await redisUrl(t)
    if (!url) return
    const store = storeFor(t, url)
    const client = clientFor(t, url)
    const key = `foreign:${randomUUID()}`
    await client.set(runPrefix + key, 'short', 'PX', MINUTE)
    assert.equal(await store.get(key), undefined)
  })

  test('two instances on one Redis see each other’s entries and deletes', async (t) => {
    const url = await redisUrl(t)
    if (!url) return
    const [a, b] = [storeFor(t, url), storeFor(t, url)]
    const key = `shared:${randomUUID()}`
    await a.set(key, Buffer.from('from a'), MINUTE, T0)
    assert.deepEqual(await b.get(key, T0), { value: Buffer.from('from a'), storedAt: T0 })
    await b.delete(key)
    assert.equal(await a.get(key, T0), undefined)
  })

  test('Redis down: get, set and delete reject fast, saying Redis is unavailable', async (t) => {
    const store = new RedisCacheStore({ url: `redis://127.0.0.1:${await freePort()}`, commandTimeoutMs: 200 })
    t.after(() => store.close())
    const started = performance.now()
    await assert.rejects(store.get('k'), (error: unknown) => error instanceof RedisUnavailableError && /^Redis is unavailable/.test(error.message))
    await assert.rejects(store.set('k', Buffer.from('v'), MINUTE), RedisUnavailableError)
    await assert.rejects(store.delete('k'), RedisUnavailableError)
    assert.ok(performance.now() - started < 2_000, `rejected within 2 s (took ${Math.round(performance.now() - started)} ms)`)
    assert.equal(store.healthy, false)
  })
})

// ---- createCacheStore: the only switch on the backend.

describe('createCacheStore', () => {
  test('memory, sqlite and a redis:// URL each give their store, with the options passed on', async (t) => {
    const memory = createCacheStore({ backend: 'memory', maxEntryBytes: 10 })
    t.after(() => memory.close())
    assert.ok(memory instanceof MemoryCacheStore)
    assert.equal(await memory.set('k', Buffer.alloc(11), MINUTE), false, 'maxEntryBytes reached the store')

    const path = freshPath()
    const sqlite = createCacheStore({ backend: 'sqlite', path, maxBytes: 1000, maxEntryBytes: 10 })
    t.after(() => sqlite.close())
    assert.ok(sqlite instanceof SqliteCacheStore)
    assert.ok(existsSync(path), 'the file given as path')
    assert.equal(await sqlite.set('k', Buffer.alloc(11), MINUTE), false)

    for (const url of ['redis://127.0.0.1:6379', 'rediss://127.0.0.1:6380']) {
      const redis = createCacheStore({ backend: url, keyPrefix: runPrefix, commandTimeoutMs: 100, maxEntryBytes: 10 })
      t.after(() => redis.close())
      assert.ok(redis instanceof RedisCacheStore)
      assert.equal(await redis.set('k', Buffer.alloc(11), MINUTE), false, 'refused before any round trip')
    }
  })

  test('an unknown backend or an option the backend does not use is refused, naming it', () => {
    assert.throws(() => createCacheStore({ backend: 'http://127.0.0.1:6379' }), /backend must be memory, sqlite or a redis:\/\/ or rediss:\/\/ URL \(got "http/)
    assert.throws(() => createCacheStore({ backend: 'Memory' }), /backend must be memory/)
    assert.throws(() => createCacheStore({ backend: 'memory', path: freshPath() }), /path does not apply to the memory backend/)
    assert.throws(() => createCacheStore({ backend: 'sqlite', path: freshPath(), maxEntries: 5, keyPrefix: 'x' }), /maxEntries, keyPrefix does not apply to the sqlite backend/)
    assert.throws(() => createCacheStore({ backend: 'redis://127.0.0.1:6379', maxBytes: 5 }), /maxBytes does not apply to the redis backend/)
  })
})
