import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { request } from 'undici'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'
import { redisUrl } from '../helpers/services.js'

// Issue 3, points 4 and 5: two gateway instances on one Redis enforce one limit; Redis down.

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })

async function post(url: string, token: string): Promise<number> {
  const answer = await request(`${url}/v1/chat/completions`, { method: 'POST', body: chatBody, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } })
  await answer.body.dump()
  return answer.statusCode
}

test('two gateway instances on one Redis admit exactly the limit under many concurrent clients', async (t) => {
  const url = await redisUrl(t)
  if (url === undefined) return
  const mock = await startMock(t, { record: false })
  // One counter for the route, named by a fresh route path per run, so an earlier run's counter (the same hour) is not this one.
  const route = `/run-${randomUUID().slice(0, 8)}`
  const config = { limits: { backend: url, requests: [{ limit: '200/hour', per: 'route' as const }] }, routes: [{ path: route, upstreams: [{ url: `${mock.url}` }] }] }
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
  assert.ok(admitted >= 0.99 * limit && admitted <= limit, `admitted ${admitted} of limit ${limit}`)
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
