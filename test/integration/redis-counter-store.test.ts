import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { MemoryCounterStore } from '../../src/storage/memory/counter-store.js'
import { RedisUnavailableError } from '../../src/storage/redis/connection.js'
import { RedisCounterStore, type RedisCounterStoreOptions } from '../../src/storage/redis/counter-store.js'
import type { ConsumeResult, WindowLimit, WindowStrategy } from '../../src/storage/types.js'
import { counterStoreContract } from '../contract/counter-store.js'
import { freePort } from '../helpers/ports.js'
import { startRedisServer, redisServerInstalled } from '../helpers/redis-server.js'
import { reachable, redisUrl } from '../helpers/services.js'

// The service gate of test/helpers/services.ts, at registration time: the contract registers its own
// tests, so reachability is decided before they exist. Absent Redis is one skipped test, or a failure
// under LLM_RELAY_REQUIRE_SERVICES=1.
const contractUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
if (await reachable(contractUrl, 6379)) {
  // A generous timeout: the contract tests semantics, and runs 200 concurrent consumes on a busy machine.
  counterStoreContract('redis', () => new RedisCounterStore({ url: contractUrl, keyPrefix: `llm-relay:test:${randomUUID()}:`, commandTimeoutMs: 5000 }))
} else {
  test('CounterStore contract: redis', (t) => {
    const message = `Redis is not reachable at ${contractUrl}`
    if (process.env.LLM_RELAY_REQUIRE_SERVICES === '1') throw new Error(`${message} (LLM_RELAY_REQUIRE_SERVICES=1)`)
    t.skip(`${message}: skipped (set REDIS_URL or start it)`)
  })
}

/** A store on its own key prefix (runs and tests never see each other's counters), closed after the test. */
function storeFor(t: TestContext, url: string, options: RedisCounterStoreOptions = {}): RedisCounterStore {
  const store = new RedisCounterStore({ url, keyPrefix: `llm-relay:test:${randomUUID()}:`, ...options })
  t.after(() => store.close())
  return store
}

/** Epoch ms on a minute boundary, so windows of 1 s and 1 min both start here. */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % 60_000)

const perSecond = (key: string, limit: number): WindowLimit => ({ key, limit, windowMs: 1000 })

test('options are checked in the constructor, in words that name the option', () => {
  assert.throws(() => new RedisCounterStore({ url: 'http://localhost' }), /options\.url must be a redis:\/\//)
  assert.throws(() => new RedisCounterStore({ commandTimeoutMs: 0 }), /options\.commandTimeoutMs must be an integer from 1/)
  assert.throws(() => new RedisCounterStore({ keyPrefix: 3 as unknown as string }), /options\.keyPrefix must be a string/)
  const client = new Redis({ lazyConnect: true })
  assert.throws(() => new RedisCounterStore({ url: 'redis://127.0.0.1:6379', client }), /options\.url or options\.client, not both/)
  client.disconnect()
})

test('limits on one key with different windows count apart (60/minute;600/hour on one key)', async (t) => {
  const url = await redisUrl(t)
  if (!url) return
  const store = storeFor(t, url)
  const limits: WindowLimit[] = [perSecond('k', 2), { key: 'k', limit: 5, windowMs: 60_000 }]
  await store.consume(limits, 2, 'fixed-window', T0)
  const refused = await store.consume(limits, 1, 'fixed-window', T0 + 10)
  assert.equal(refused.admitted, false)
  assert.deepEqual(
    refused.states.map((s) => s.remaining),
    [0, 3],
    'the minute limit was not charged for the refused call',
  )
  assert.equal(refused.retryAfterMs, 990)
  const later = await store.consume(limits, 2, 'fixed-window', T0 + 1000)
  assert.deepEqual(
    later.states.map((s) => s.remaining),
    [0, 1],
  )
  const full = await store.consume(limits, 2, 'fixed-window', T0 + 1500)
  assert.equal(full.retryAfterMs, 58_500, 'the longest refusing limit decides')
})

test('amount 0 is a pure check: no key is written and no expiry moves', async (t) => {
  const url = await redisUrl(t)
  if (!url) return
  const prefix = `llm-relay:test:${randomUUID()}:`
  const store = storeFor(t, url, { keyPrefix: prefix })
  const client = new Redis(url)
  t.after(() => client.quit())
  for (const strategy of ['fixed-window', 'moving-window', 'fixed-window-elastic-expiry'] as const) {
    const result = await store.consume([perSecond(strategy, 5)], 0, strategy, T0 + 200)
    assert.equal(result.admitted, true)
    assert.equal(result.states[0]?.remaining, 5)
  }
  assert.deepEqual(await client.keys(`${prefix}*`), [])
  await store.consume([perSecond('e', 5)], 1, 'fixed-window-elastic-expiry', T0)
  const check = await store.consume([perSecond('e', 5)], 0, 'fixed-window-elastic-expiry', T0 + 500)
  assert.equal(check.states[0]?.resetAt, T0 + 1000)
})

test('keys expire on their own shortly after their window', async (t) => {
  const url = await redisUrl(t)
  if (!url) return
  const prefix = `llm-relay:test:${randomUUID()}:`
  const store = storeFor(t, url, { keyPrefix: prefix })
  const client = new Redis(url)
  t.after(() => client.quit())
  const now = Date.now()
  await store.consume([{ key: 'f', limit: 5, windowMs: 10_000 }], 1, 'fixed-window', now)
  await store.consume([{ key: 'm', limit: 5, windowMs: 10_000 }], 1, 'moving-window', now)
  await store.consume([{ key: 'e', limit: 5, windowMs: 10_000 }], 1, 'fixed-window-elastic-expiry', now)
  const keys = await client.keys(`${prefix}*`)
  assert.equal(keys.length, 3)
  for (const key of keys) {
    const ttl = await client.pttl(key)
    assert.ok(ttl > 0 && ttl <= 25_000, `${key} expires (pttl ${ttl})`)
  }
})

test('decides exactly as the memory store over a random run', async (t) => {
  const url = await redisUrl(t)
  if (!url) return
  const redis = storeFor(t, url)
  const memory = new MemoryCounterStore()
  t.after(() => memory.close())
  // mulberry32: a small seeded generator, so a failure replays the same run.
  let seed = 7
  const random = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 2 ** 32) * n)
  }
  for (const strategy of ['fixed-window', 'moving-window', 'fixed-window-elastic-expiry'] as const) {
    const limits: WindowLimit[] = [
      { key: `${strategy}:short`, limit: 7, windowMs: 1000 },
      { key: `${strategy}:long`, limit: 30, windowMs: 5000 },
    ]
    let now = T0
    const outcomes = new Set<boolean>()
    for (let step = 0; step < 300; step++) {
      now += random(120)
      const amount = random(4)
      if (random(5) === 0) {
        const delta = random(7) - 4
        await redis.adjust(limits, delta, strategy, now)
        await memory.adjust(limits, delta, strategy, now)
        continue
      }
      const expected = await memory.consume(limits, amount, strategy, now)
      assert.deepEqual(await redis.consume(limits, amount, strategy, now), expected, `${strategy} step ${step} at +${now - T0} ms`)
      outcomes.add(expected.admitted)
    }
    assert.equal(outcomes.size, 2, `${strategy}: the run saw both admissions and refusals`)
  }
})

/** Fires `count` consumes at once, alternating between the stores; returns how many were admitted. */
async function admittedOf(stores: RedisCounterStore[], count: number, limits: WindowLimit[], amount: number, strategy: WindowStrategy): Promise<number> {
  const now = Date.now()
  const results = await Promise.all(
    Array.from({ length: count }, (_, i): Promise<ConsumeResult> => stores[i % stores.length]!.consume(limits, amount, strategy, now)),
  )
  return results.filter((r) => r.admitted).length
}

test('two instances on one Redis enforce one limit: 400 concurrent hits on 100 admit exactly 100', async (t) => {
  const url = await redisUrl(t)
  if (!url) return
  const keyPrefix = `llm-relay:test:${randomUUID()}:`
  // Two stores, two ioredis connections, one prefix: two gateway processes as Redis sees them.
  const stores = [storeFor(t, url, { keyPrefix, commandTimeoutMs: 5000 }), storeFor(t, url, { keyPrefix, commandTimeoutMs: 5000 })]
  for (const strategy of ['fixed-window', 'moving-window', 'fixed-window-elastic-expiry'] as const) {
    const limits = [{ key: `requests-${strategy}`, limit: 100, windowMs: 60_000 }]
    assert.equal(await admittedOf(stores, 400, limits, 1, strategy), 100, strategy)
  }
})

test('two instances on one Redis keep a token quota: 50 concurrent requests of 100 on 1000 admit exactly 10', async (t) => {
  const url = await redisUrl(t)
  if (!url) return
  const keyPrefix = `llm-relay:test:${randomUUID()}:`
  const stores = [storeFor(t, url, { keyPrefix, commandTimeoutMs: 5000 }), storeFor(t, url, { keyPrefix, commandTimeoutMs: 5000 })]
  const limits = [{ key: 'tokens', limit: 1000, windowMs: 60_000 }]
  assert.equal(await admittedOf(stores, 50, limits, 100, 'fixed-window'), 10)
})

/** Collects unhandled rejections and uncaught exceptions during a test, and fails it if there were any. */
function failOnUnhandled(t: TestContext): void {
  const seen: unknown[] = []
  const record = (error: unknown) => seen.push(error)
  process.on('unhandledRejection', record)
  process.on('uncaughtException', record)
  t.after(() => {
    process.off('unhandledRejection', record)
    process.off('uncaughtException', record)
    assert.deepEqual(seen, [], 'no unhandled errors')
  })
}

test('Redis down: a store pointed at a closed port rejects fast, saying Redis is unavailable', async (t) => {
  failOnUnhandled(t)
  const store = new RedisCounterStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 })
  t.after(() => store.close())
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    await assert.rejects(store.consume([perSecond('k', 5)], 1, 'fixed-window'), (error: unknown) => {
      assert.ok(error instanceof RedisUnavailableError)
      assert.match(error.message, /^Redis is unavailable/)
      return true
    })
    assert.ok(performance.now() - started < 1000, `rejected within 1 s (took ${Math.round(performance.now() - started)} ms)`)
  }
  await assert.rejects(store.adjust([perSecond('k', 5)], 1, 'fixed-window'), RedisUnavailableError)
  assert.equal(store.healthy, false)
})

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition() && Date.now() < deadline) await sleep(10)
  assert.ok(condition(), `condition held within ${ms} ms`)
}

test('Redis stopped and restarted: consume fails fast meanwhile and works again without a new store', async (t) => {
  if (!redisServerInstalled(t)) return
  failOnUnhandled(t)
  const port = await freePort()
  let server = await startRedisServer(t, port)
  const store = new RedisCounterStore({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 200 })
  t.after(() => store.close())
  const events: string[] = []
  store.on('available', () => events.push('available'))
  store.on('unavailable', () => events.push('unavailable'))
  const limits = [{ key: 'k', limit: 1000, windowMs: 60_000 }]

  assert.equal((await store.consume(limits, 1, 'fixed-window')).admitted, true)
  assert.equal(store.healthy, true)

  server.kill('SIGKILL')
  await once(server, 'exit')
  const started = performance.now()
  await assert.rejects(store.consume(limits, 1, 'fixed-window'), RedisUnavailableError)
  assert.ok(performance.now() - started < 1000, 'rejected within 1 s')
  // The socket can fail a write a tick before ioredis reports the close, so poll briefly.
  await until(() => !store.healthy, 1000)

  server = await startRedisServer(t, port)
  const deadline = Date.now() + 5000
  let result: ConsumeResult | undefined
  while (result === undefined && Date.now() < deadline) {
    result = await store.consume(limits, 1, 'fixed-window').catch(() => undefined)
    if (result === undefined) await sleep(50)
  }
  assert.equal(result?.admitted, true, 'consume works again after the restart')
  assert.equal(store.healthy, true)
  assert.deepEqual(events.slice(-2), ['unavailable', 'available'])
})
