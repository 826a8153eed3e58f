import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import OpenAI, { RateLimitError } from 'openai'
import { request } from 'undici'
import { loadConfig } from '../../src/config/load.js'
import { ConfigError } from '../../src/config/errors.js'
import { metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'
import { withinOneWindow } from '../helpers/windows.js'

// Issue 3, points 1, 3 and 7 with the memory backend: request-rate rules, 429 answers, headers, config errors.

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })

function post(url: string, token = 'client-a', body = chatBody) {
  return request(`${url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } })
}

test('over a per-client limit: 429 naming the limit, Retry-After and x-ratelimit-* headers; no upstream call', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { requests: [{ limit: '3/minute' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const first = await post(relay.url)
  assert.equal(first.statusCode, 200)
  assert.equal(first.headers['x-ratelimit-limit-requests'], '3')
  assert.equal(first.headers['x-ratelimit-remaining-requests'], '2')
  assert.match(String(first.headers['x-ratelimit-reset-requests']), /^(\d+m)?[\d.]+s$|^\d+ms$/)
  await first.body.dump()
  for (let index = 0; index < 2; index++) await (await post(relay.url)).body.dump()
  const refused = await post(relay.url)
  assert.equal(refused.statusCode, 429)
  const retryAfter = Number(refused.headers['retry-after'])
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`)
  assert.equal(refused.headers['x-ratelimit-remaining-requests'], '0')
  assert.deepEqual(await refused.body.json(), { error: { message: 'Rate limit exceeded: 3 per 1 minute', type: 'rate_limit_error', param: null, code: 'RELAY_ERR_RATE_LIMITED' } })
  assert.equal(mock.requests.length, 3, 'the refused request never reached the upstream')
  assert.equal(await metricValue(relay.url, 'llm_relay_rate_limited_total', { kind: 'requests' }), 1)
  // Another client has its own counter; the SDK sees a RateLimitError.
  assert.equal((await post(relay.url, 'client-b')).statusCode, 200)
  const sdk = new OpenAI({ apiKey: 'client-a', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  await assert.rejects(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }), RateLimitError)
})

test('several limits, scopes and filters: route, model, level, global, ip, and the fallback for unmatched requests', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    access: { forwardKeys: [{ key: 'fk-level1', level: 1 }], levels: [{ level: 1, keys: [] }] },
    limits: {
      global: '5/minute',
      requests: [
        { limit: '2/minute;100/hour', per: 'global', route: '/v1/embeddings' },
        { limit: '1/minute', per: 'model', model: 'gpt-4o' },
        { limit: '1/minute', level: 1, route: '/v1/models' },
      ],
    },
    routes: [{ path: '/', upstreams: [{ url: mock.url }] }],
  })
  const embed = (token: string) =>
    request(`${relay.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'e', input: 'x' }), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } })
  const statuses: number[] = []
  for (const token of ['a', 'b', 'c']) {
    const answer = await embed(token)
    statuses.push(answer.statusCode)
    await answer.body.dump()
  }
  assert.deepEqual(statuses, [200, 200, 429], 'per: global counts every client together')

  const gpt4o = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
  const models: number[] = []
  for (const token of ['a', 'b']) {
    const answer = await post(relay.url, token, gpt4o)
    models.push(answer.statusCode)
    await answer.body.dump()
  }
  assert.deepEqual(models, [200, 429], 'per: model counts every request for that model together')

  const list = async (token: string) => {
    const answer = await request(`${relay.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })
    await answer.body.dump()
    return answer.statusCode
  }
  assert.deepEqual([await list('fk-level1'), await list('fk-level1')], [200, 429], 'level 1 has its own rule on /v1/models')
  // Level 0 clients match no rule there, so the fallback (global_rate_limit) applies: 5 per client.
  const fallback: number[] = []
  for (let index = 0; index < 6; index++) fallback.push(await list('plain-client'))
  assert.deepEqual(fallback, [200, 200, 200, 200, 200, 429])
})

test('inf means no limit; an unparsable limit string is a config error naming the path', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { requests: [{ limit: 'inf' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  for (let index = 0; index < 20; index++) {
    const answer = await post(relay.url)
    assert.equal(answer.statusCode, 200)
    assert.equal(answer.headers['x-ratelimit-limit-requests'], undefined)
    await answer.body.dump()
  }
  assert.throws(
    () => loadConfig({ file: writeTemp(t, 'limits:\n  requests:\n    - limit: 10/fortnight\nroutes: [{ path: /, upstreams: [{ url: "http://127.0.0.1:1" }] }]\n'), env: {} }),
    (error: unknown) => error instanceof ConfigError && /limits\.requests\.0\.limit: cannot read "10\/fortnight"/.test(error.message),
  )
})


function writeTemp(t: TestContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-limits-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, text)
  return file
}

test('counters survive a config reload while the backend stays the same', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const config = { limits: { requests: [{ limit: '2/minute' }] }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] }
  const relay = await startRelay(t, config)
  for (let index = 0; index < 2; index++) await (await post(relay.url)).body.dump()
  relay.writeConfig({ ...config, routes: [...config.routes, { path: '/other', upstreams: [{ url: mock.url }] }] })
  assert.equal(relay.reloader.reload('test'), true)
  const refused = await post(relay.url)
  assert.equal(refused.statusCode, 429, 'the two requests before the reload still count')
  await refused.body.dump()
})
