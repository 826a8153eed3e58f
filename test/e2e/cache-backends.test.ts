import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'
import { redisUrl } from '../helpers/services.js'

// Issue 4, point 5 through the gateway: the SQLite cache survives a restart, and two instances
// share one Redis cache.

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `cache test ${randomUUID()}` }] })

async function ask(url: string, path = '/v1/chat/completions'): Promise<{ cache: unknown; text: string }> {
  const answer = await request(`${url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer client-a' } })
  return { cache: answer.headers['x-relay-cache'], text: await answer.body.text() }
}

test('the SQLite cache survives a restart of the gateway', async (t) => {
  const mock = await startMock(t)
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-cache-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'answers.sqlite')
  const config = { cache: { backend: 'sqlite', path }, routes: [{ path: '/', cache: 'always' as const, upstreams: [{ url: mock.url }] }] }
  const first = await startRelay(t, config)
  const miss = await ask(first.url)
  assert.equal(miss.cache, 'MISS')
  await first.quiet()
  await first.shutdown()
  assert.ok(existsSync(path), 'the cache file is where the config says')

  const second = await startRelay(t, config)
  const hit = await ask(second.url)
  assert.equal(hit.cache, 'HIT')
  assert.deepEqual(JSON.parse(hit.text), JSON.parse(miss.text))
  assert.equal(mock.requests.length, 1)
})

test('the default SQLite cache file is under the data directory', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { cache: { backend: 'sqlite' }, routes: [{ path: '/', cache: 'always', upstreams: [{ url: mock.url }] }] })
  await ask(relay.url)
  assert.ok(existsSync(join(relay.dir, 'data', 'cache.sqlite')))
})

test('two gateway instances share one Redis cache', async (t) => {
  const url = await redisUrl(t)
  if (url === undefined) return
  const mock = await startMock(t)
  // A route path of its own per run: entries of earlier runs (same Redis) are not this run's.
  const route = `/run-${randomUUID().slice(0, 8)}`
  const config = { cache: { backend: url }, routes: [{ path: route, cache: 'always' as const, upstreams: [{ url: mock.url }] }] }
  const [one, two] = await Promise.all([startRelay(t, config), startRelay(t, config)])
  const miss = await ask(one.url, `${route}/v1/chat/completions`)
  assert.equal(miss.cache, 'MISS')
  await one.quiet()
  const hit = await ask(two.url, `${route}/v1/chat/completions`)
  assert.equal(hit.cache, 'HIT')
  assert.deepEqual(JSON.parse(hit.text), JSON.parse(miss.text))
  assert.equal(mock.requests.length, 1)
  const redis = new Redis(url)
  t.after(() => redis.quit())
  const keys = await redis.keys('llm-relay:cache:*')
  assert.ok(keys.length > 0)
  await redis.del(...keys.filter((key) => key.includes('chat:')))
})
