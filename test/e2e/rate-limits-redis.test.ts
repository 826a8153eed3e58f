import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { estimatePromptTokens, loadTokenizer } from '../../src/limits/token-count.js'
import { metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { freePort } from '../helpers/ports.js'
import { redisServerInstalled, startRedisServer } from '../helpers/redis-server.js'
import { startRelay } from '../helpers/relay.js'
import { redisUrl } from '../helpers/services.js'
import { withinOneWindow } from '../helpers/windows.js'

// Issue 3, points 4 and 5: two gateway instances on one Redis enforce one limit and one token
// quota; Redis down, stopped and restarted.

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })

async function post(url: string, token: string): Promise<number> {
  const answer = await request(`${url}/v1/chat/completions`, { method: 'POST', body: chatBody, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } })
  await answer.body.dump()
  return answer.statusCode
}

test('two gateway instances on one Redis admit exactly the limit under many concurrent clients', async (t) => {
  await withinOneWindow(3_600_000, 30_000)
  const url = await redisUrl(t)
  if (url === undefined) return
  const mock = await startMock(t, { record: false })
  // One counter for the route, named by a fresh route path per run, so an earlier run's counter (the same hour) is not this one.
  const route = `/run-${randomUUID().slice(0, 8)}`
  // A generous backend timeout: this test is about atomicity; a check that times out is admitted (fail-open) by design.
  const config = { limits: { backend: url, backendTimeout: '5s', requests: [{ limit: '200/hour', per: 'route' as const }] }, routes: [{ path: route, upstreams: [{ url: `${mock.url}` }] }] }
  const [one, two] = await Promise.all([startRelay(t, config), startRelay(t, config)])
  const limit = 200
  const statuses = await Promise.all(
    Array.from({ length: 600 }, (_, index) => {
      const relay = index % 2 === 0 ? one : two
      return request(`${relay.url}${route}/v1/chat/completions`, { method: 'POST', body: chatBody, headers: { 'content-type': 'application/json', authorization: `Bearer c${index % 37}` } }).then(async (answer) => {
        await answer.body.dump()
        return answer.statusCode
      })
    }),
  )
  const admitted = statuses.filter((status) => status === 200).length
  assert.equal(admitted, limit, `admitted ${admitted} of limit ${limit}`)
  assert.equal(statuses.filter((status) => status === 429).length, 600 - admitted)
})

test('Redis down, fail-open: requests are admitted, the trouble is logged once, not per request', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { backend: 'redis://127.0.0.1:1', requests: [{ limit: '1/hour' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const started = Date.now()
  const statuses: number[] = []
  for (let index = 0; index < 10; index++) statuses.push(await post(relay.url, 'client'))
  assert.deepEqual(statuses, Array(10).fill(200))
  assert.ok(Date.now() - started < 5000, 'no hang past the backend timeout')
  const lines = relay.logs.filter((line) => line.includes('rate-limit backend unavailable'))
  assert.equal(lines.length, 1, lines.join('\n'))
  assert.match(lines[0]!, /fail-open/)
  assert.equal(await metricValue(relay.url, 'llm_relay_limit_backend_errors_total'), 10, 'every failed check is counted in the metric')
})

test('Redis down, fail-closed: 503 with Retry-After and an OpenAI error body', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(
    t,
    { limits: { backend: 'redis://127.0.0.1:1', onBackendError: 'fail-closed', requests: [{ limit: '100/hour' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] },
    { failOnErrorLogs: false },
  )
  const answer = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', body: chatBody, headers: { 'content-type': 'application/json' } })
  assert.equal(answer.statusCode, 503)
  assert.equal(answer.headers['retry-after'], '1')
  const body = (await answer.body.json()) as { error: { code: string } }
  assert.equal(body.error.code, 'RELAY_ERR_LIMITS_UNAVAILABLE')
  assert.equal(mock.requests.length, 0)
})

test('two gateway instances on one Redis: 50 concurrent requests of 100 tokens on a 1,000-token budget admit exactly 10', async (t) => {
  await withinOneWindow(3_600_000, 30_000)
  const url = await redisUrl(t)
  if (url === undefined) return
  await loadTokenizer()
  const mock = await startMock(t)
  const route = `/run-${randomUUID().slice(0, 8)}`
  const config = { limits: { backend: url, backendTimeout: '5s', tokens: [{ limit: '1000/hour', per: 'route' as const }] }, routes: [{ path: route, upstreams: [{ url: mock.url }] }] }
  const [one, two] = await Promise.all([startRelay(t, config), startRelay(t, config)])
  const messages = [{ role: 'user', content: 'hi' }]
  // Held answers: no settlement gives tokens back while the 50 are decided.
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 100 - estimatePromptTokens({ messages }), mock: { headersDelayMs: 500 } })
  const statuses = await Promise.all(
    Array.from({ length: 50 }, (_, index) =>
      request(`${(index % 2 === 0 ? one : two).url}${route}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer c${index}` } }).then(
        async (answer) => {
          await answer.body.dump()
          return answer.statusCode
        },
      ),
    ),
  )
  assert.equal(statuses.filter((status) => status === 200).length, 10, statuses.join(','))
  assert.equal(statuses.filter((status) => status === 429).length, 40)
  assert.equal(mock.requests.length, 10, 'no quota overdraft reached the upstream')
})

test('Redis stopped and restarted under a running gateway: fail-open meanwhile, logged once, limits apply again after it reconnects', async (t) => {
  await withinOneWindow(3_600_000, 30_000)
  if (!redisServerInstalled(t)) return
  const port = await freePort()
  let server = await startRedisServer(t, port)
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { backend: `redis://127.0.0.1:${port}`, requests: [{ limit: '3/hour' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const burst = async (count: number) => {
    const statuses: number[] = []
    for (let index = 0; index < count; index++) statuses.push(await post(relay.url, 'client'))
    return statuses
  }
  assert.deepEqual(await burst(4), [200, 200, 200, 429])

  server.kill('SIGKILL')
  await once(server, 'exit')
  const started = Date.now()
  assert.deepEqual(await burst(10), Array(10).fill(200), 'fail-open: served while Redis is down')
  assert.ok(Date.now() - started < 5000, `no hang (10 requests took ${Date.now() - started} ms)`)
  const down = relay.logs.filter((line) => line.includes('rate-limit backend unavailable'))
  assert.equal(down.length, 1, down.join('\n'))

  // A fresh Redis (nothing kept on disk): the counters start again once the gateway has reconnected by itself.
  server = await startRedisServer(t, port)
  const deadline = Date.now() + 10_000
  while (!relay.logs.some((line) => line.includes('rate-limit backend available again')) && Date.now() < deadline) {
    await post(relay.url, 'probe')
    await sleep(100)
  }
  assert.ok(relay.logs.some((line) => line.includes('rate-limit backend available again')), 'recovery logged')
  assert.deepEqual(await burst(4), [200, 200, 200, 429], 'the limit holds again')
})
