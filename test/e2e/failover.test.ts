import assert from 'node:assert/strict'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { test } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import type { MockUpstream } from '../../src/mock-upstream/index.js'
import { startMock } from '../helpers/mock.js'
import { eventually, startRelay } from '../helpers/relay.js'

// Issue 2, point 5 (fail over): ordered candidates, the failure table, strategies, cooldown, bounds.

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string }
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'fail over please' }] })

async function post(relayUrl: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const answer = await request(`${relayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-token', ...options.headers },
    body: options.body ?? chatBody,
  })
  return { status: answer.statusCode, headers: answer.headers, text: await answer.body.text() }
}

function errorOf(answer: Answer): ErrorBody['error'] {
  return (JSON.parse(answer.text) as ErrorBody).error
}

function sdk(relayUrl: string, apiKey = 'client-token'): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${relayUrl}/v1`, maxRetries: 0 })
}

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const counts = (...mocks: MockUpstream[]): number[] => mocks.map((mock) => mock.requests.length)

test('A answers 500, B hangs past its timeout, C answers: the client gets C; every attempt sent the same bytes', async (t) => {
  const a = await startMock(t, { behaviour: { status: 500 } })
  const b = await startMock(t, { behaviour: { fault: 'hang' } })
  const c = await startMock(t, { behaviour: { chunks: 2 } })
  const relay = await startRelay(t, {
    routes: [
      {
        path: '/',
        upstreams: [
          { name: 'a', url: a.url, keys: ['sk-a'] },
          { name: 'b', url: b.url, keys: ['sk-b'], timeout: '300ms' },
          { name: 'c', url: c.url, keys: ['sk-c'] },
        ],
      },
    ],
  })
  const started = performance.now()
  const answer = await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'which one?' }], temperature: 0.5 })
  const elapsed = performance.now() - started
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 ', "C's answer (the only mock set to 2 chunks)")
  assert.deepEqual(counts(a, b, c), [1, 1, 1])
  assert.ok(elapsed >= 280 && elapsed < 1500, `B's 300 ms timeout was waited out once (${Math.round(elapsed)} ms)`)
  const bodyC = c.requests[0]!.body
  assert.ok(bodyC.length > 0)
  assert.ok(a.requests[0]!.body.equals(bodyC), 'A got the same bytes as C')
  assert.ok(b.requests[0]!.body.equals(bodyC), 'B got the same bytes as C')
  assert.equal(a.requests[0]!.headers.authorization, 'Bearer sk-a')
  assert.equal(b.requests[0]!.headers.authorization, 'Bearer sk-b')
  assert.equal(c.requests[0]!.headers.authorization, 'Bearer sk-c')
  assert.equal(b.requests[0]!.aborted, true, 'the timed-out attempt was cancelled at B')
})

test('connection refused and connection reset fail over to the next upstream with the same body', async (t) => {
  const port = await closedPort()
  const reset = await startMock(t, { behaviour: { fault: 'reset' } })
  const good = await startMock(t)
  const relay = await startRelay(t, {
    routes: [
      { path: '/refused', upstreams: [{ name: 'refused', url: `http://127.0.0.1:${port}` }, { name: 'good', url: good.url }] },
      { path: '/reset', upstreams: [{ name: 'reset', url: reset.url }, { name: 'good', url: good.url }] },
    ],
  })
  const viaRefused = await sdk(`${relay.url}/refused`).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'refused' }] })
  assert.equal(viaRefused.object, 'chat.completion')
  assert.equal(good.requests.length, 1)

  const viaReset = await sdk(`${relay.url}/reset`).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'reset' }] })
  assert.equal(viaReset.object, 'chat.completion')
  assert.equal(reset.requests.length, 1)
  assert.equal(good.requests.length, 2)
  assert.ok(reset.requests[0]!.body.equals(good.requests[1]!.body))
})

test('a 429 fails over, and the rate-limited upstream then waits behind the healthy one (Retry-After cooldown)', async (t) => {
  const limited = await startMock(t, { behaviour: { status: 429, retryAfter: '30' } })
  const healthy = await startMock(t)
  const relay = await startRelay(t, {
    routes: [{ path: '/', upstreams: [{ name: 'limited', url: limited.url, keys: ['sk-limited'] }, { name: 'healthy', url: healthy.url, keys: ['sk-healthy'] }] }],
  })
  const first = await post(relay.url)
  assert.equal(first.status, 200)
  assert.deepEqual(counts(limited, healthy), [1, 1])
  assert.ok(limited.requests[0]!.body.equals(healthy.requests[0]!.body))

  // Listed first, but cooling down for 30 s: the healthy one is tried first now.
  for (let index = 0; index < 3; index++) assert.equal((await post(relay.url)).status, 200)
  assert.deepEqual(counts(limited, healthy), [1, 4])
})

test('401/403 for the upstream key fail over; with the client own key (passthrough) 401 is relayed as is', async (t) => {
  const refusing = await startMock(t, { behaviour: { status: 401 } })
  const passthrough = await startMock(t, { behaviour: { status: 401 } })
  const good = await startMock(t)
  const relay = await startRelay(t, {
    routes: [
      { path: '/own', upstreams: [{ name: 'refusing', url: refusing.url, keys: ['sk-revoked'] }, { name: 'good', url: good.url, keys: ['sk-good'] }] },
      { path: '/pass', upstreams: [{ name: 'passthrough', url: passthrough.url, auth: 'passthrough' }, { name: 'good', url: good.url, keys: ['sk-good'] }] },
    ],
  })
  for (const status of [401, 403]) {
    refusing.setBehaviour({ status })
    const answer = await sdk(`${relay.url}/own/v1`).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: String(status) }] })
    assert.equal(answer.object, 'chat.completion', `${status} from our own key moves on`)
  }
  assert.deepEqual(counts(refusing, good), [2, 2])
  assert.equal(refusing.requests[0]!.headers.authorization, 'Bearer sk-revoked')

  const error = await sdk(`${relay.url}/pass/v1`, 'sk-client-own-key')
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'mine' }] })
    .then(
      () => assert.fail('expected a 401'),
      (caught: unknown) => caught,
    )
  assert.ok(error instanceof OpenAI.AuthenticationError, String(error))
  assert.equal(error.status, 401)
  assert.equal(error.code, 'invalid_api_key', "the upstream's own error body")
  assert.equal(passthrough.requests.length, 1)
  assert.equal(passthrough.requests[0]!.headers.authorization, 'Bearer sk-client-own-key')
  assert.equal(good.requests.length, 2, 'the client key was refused: no other upstream is tried')
})

test('a 400 from an upstream is relayed as is, without failover', async (t) => {
  const strict = await startMock(t, { behaviour: { status: 400 } })
  const other = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: strict.url, keys: ['sk-1'] }, { url: other.url, keys: ['sk-2'] }] }] })
  const answer = await post(relay.url)
  assert.equal(answer.status, 400)
  assert.equal(answer.text, JSON.stringify({ error: { message: 'The mock upstream answered 400 as its behaviour asked.', type: 'invalid_request_error', param: null, code: 'http_400' } }))
  assert.deepEqual(counts(strict, other), [1, 0])
})

test('all upstreams fail: 502 RELAY_ERR_UPSTREAM_FAILED naming the upstreams, never a key', async (t) => {
  const alpha = await startMock(t, { behaviour: { status: 500 } })
  const beta = await startMock(t, { behaviour: { status: 503 } })
  const port = await closedPort()
  const keys = ['sk-canary-alpha-7f3a9c51', 'sk-canary-beta-19d2e4b7', 'sk-canary-gamma-0c8e6d22']
  const relay = await startRelay(
    t,
    {
      access: { clientTokens: ['client-canary-token-5d1f'] },
      routes: [
        {
          path: '/',
          upstreams: [
            { name: 'alpha', url: alpha.url, keys: [keys[0]!] },
            { name: 'beta', url: beta.url, keys: [keys[1]!] },
            { name: 'gamma', url: `http://127.0.0.1:${port}`, keys: [keys[2]!] },
          ],
        },
      ],
    },
    { failOnErrorLogs: false },
  )
  const answer = await post(relay.url, { headers: { authorization: 'Bearer client-canary-token-5d1f' } })
  assert.equal(answer.status, 502)
  assert.ok(answer.headers['x-relay-request-id'])
  const error = errorOf(answer)
  assert.equal(error.code, 'RELAY_ERR_UPSTREAM_FAILED')
  assert.equal(error.type, 'api_error')
  assert.match(error.message, /alpha \(HTTP 500\)/)
  assert.match(error.message, /beta \(HTTP 503\)/)
  assert.match(error.message, /gamma \(connection failed\)/)
  for (const secret of [...keys, 'client-canary-token-5d1f']) {
    assert.ok(!answer.text.includes(secret), 'the error body names no key')
    assert.ok(!relay.logs.join('\n').includes(secret), 'the logs name no key')
  }
  assert.deepEqual(counts(alpha, beta), [1, 1])

  const viaSdk = await sdk(relay.url, 'client-canary-token-5d1f')
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [] })
    .then(
      () => assert.fail('expected a 502'),
      (caught: unknown) => caught,
    )
  assert.ok(viaSdk instanceof OpenAI.InternalServerError)
  assert.equal(viaSdk.status, 502)
})

test('all upstreams time out: 504 RELAY_ERR_UPSTREAM_TIMEOUT', async (t) => {
  const slow = await startMock(t, { behaviour: { fault: 'hang' } })
  const slower = await startMock(t, { behaviour: { headersDelayMs: 2000 } })
  const relay = await startRelay(
    t,
    { routes: [{ path: '/', timeout: '300ms', upstreams: [{ name: 'slow', url: slow.url }, { name: 'slower', url: slower.url }] }] },
    { failOnErrorLogs: false },
  )
  const started = performance.now()
  const answer = await post(relay.url)
  const elapsed = performance.now() - started
  assert.equal(answer.status, 504)
  const error = errorOf(answer)
  assert.equal(error.code, 'RELAY_ERR_UPSTREAM_TIMEOUT')
  assert.match(error.message, /slow \(no response headers in time\)/)
  assert.match(error.message, /slower \(no response headers in time\)/)
  assert.deepEqual(counts(slow, slower), [1, 1])
  assert.ok(elapsed >= 550 && elapsed < 1500, `two 300 ms timeouts (${Math.round(elapsed)} ms)`)
})

test('all upstreams rate-limited: 429 RELAY_ERR_UPSTREAMS_RATE_LIMITED with the shortest Retry-After', async (t) => {
  const first = await startMock(t, { behaviour: { status: 429, retryAfter: '7' } })
  const second = await startMock(t, { behaviour: { status: 429, retryAfter: '3' } })
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ name: 'first', url: first.url, keys: ['sk-1'] }, { name: 'second', url: second.url, keys: ['sk-2'] }] }] })
  const answer = await post(relay.url)
  assert.equal(answer.status, 429)
  assert.equal(answer.headers['retry-after'], '3')
  const error = errorOf(answer)
  assert.equal(error.code, 'RELAY_ERR_UPSTREAMS_RATE_LIMITED')
  assert.equal(error.type, 'rate_limit_error')
  assert.deepEqual(counts(first, second), [1, 1])

  const viaSdk = await sdk(relay.url)
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [] })
    .then(
      () => assert.fail('expected a 429'),
      (caught: unknown) => caught,
    )
  assert.ok(viaSdk instanceof OpenAI.RateLimitError)
})

test('strategy random: over 40 requests both upstreams are used, each request once', async (t) => {
  const one = await startMock(t)
  const two = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', strategy: 'random', upstreams: [{ url: one.url }, { url: two.url }] }] })
  for (let batch = 0; batch < 4; batch++) {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(relay.url)))
    for (const answer of answers) assert.equal(answer.status, 200)
  }
  const [a, b] = counts(one, two)
  assert.equal(a! + b!, 40)
  assert.ok(a! > 0 && b! > 0, `both used: ${a} and ${b}`)
})

test('strategy weighted: weights 1 and 9 send clearly more to the heavier upstream', async (t) => {
  const light = await startMock(t)
  const heavy = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', strategy: 'weighted', upstreams: [{ url: light.url, weight: 1 }, { url: heavy.url, weight: 9 }] }] })
  for (let batch = 0; batch < 15; batch++) {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(relay.url)))
    for (const answer of answers) assert.equal(answer.status, 200)
  }
  const [l, h] = counts(light, heavy)
  assert.equal(l! + h!, 150)
  // Expected 15 and 135; the bounds are loose enough never to flake.
  assert.ok(h! >= 105, `heavy got ${h} of 150`)
  assert.ok(l! >= 1, `light got ${l} of 150`)
})

test('strategy least-inflight: while one upstream holds a slow request, new ones go to the other', async (t) => {
  const busy = await startMock(t)
  const idle = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', strategy: 'least-inflight', upstreams: [{ url: busy.url }, { url: idle.url }] }] })
  // Tie: config order, so the held request goes to the first upstream (which never answers it).
  const controller = new AbortController()
  const held = request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mock-fault': 'hang' },
    body: chatBody,
    signal: controller.signal,
  })
  await eventually(() => busy.requests.length === 1)
  for (let index = 0; index < 5; index++) assert.equal((await post(relay.url)).status, 200)
  assert.deepEqual(counts(busy, idle), [1, 5])
  controller.abort()
  await assert.rejects(held)
  await busy.waitForAbort(1000)
  // Both idle again: config order once more.
  assert.equal((await post(relay.url)).status, 200)
  assert.deepEqual(counts(busy, idle), [2, 5])
})

test('cooldown: after N consecutive failures an upstream goes behind the healthy ones, then is probed and used first again', async (t) => {
  const flaky = await startMock(t, { behaviour: { status: 500 } })
  const steady = await startMock(t)
  const relay = await startRelay(t, {
    failover: { cooldown: { failures: 2, duration: '2s' } },
    routes: [{ path: '/', upstreams: [{ name: 'flaky', url: flaky.url }, { name: 'steady', url: steady.url }] }],
  })
  const flakyId = relay.holder.current.routes.routes[0]!.upstreams[0]!.id
  const cooling = () => relay.holder.current.health.isCooling(flakyId)
  assert.equal((await post(relay.url)).status, 200)
  assert.equal((await post(relay.url)).status, 200)
  assert.deepEqual(counts(flaky, steady), [2, 2], 'tried first twice, failed twice')

  // In cooldown: no first attempts for the flaky one.
  for (let index = 0; index < 3; index++) assert.equal((await post(relay.url)).status, 200)
  assert.ok(cooling(), 'still in its cooldown after the three requests')
  assert.deepEqual(counts(flaky, steady), [2, 5])

  flaky.setBehaviour({ status: 200 })
  await eventually(() => !cooling(), 10_000)
  // Cooldown over: probed first again, and once it answers it stays first.
  assert.equal((await post(relay.url)).status, 200)
  assert.deepEqual(counts(flaky, steady), [3, 5])
  assert.equal((await post(relay.url)).status, 200)
  assert.deepEqual(counts(flaky, steady), [4, 5])
})

test('failover.maxAttempts bounds the attempts: 3 failing upstreams, maxAttempts 2 → 2 requests', async (t) => {
  const a = await startMock(t, { behaviour: { status: 500 } })
  const b = await startMock(t, { behaviour: { status: 502 } })
  const c = await startMock(t, { behaviour: { status: 503 } })
  const relay = await startRelay(
    t,
    { failover: { maxAttempts: 2 }, routes: [{ path: '/', upstreams: [{ name: 'a', url: a.url }, { name: 'b', url: b.url }, { name: 'c', url: c.url }] }] },
    { failOnErrorLogs: false },
  )
  const answer = await post(relay.url)
  assert.equal(answer.status, 502)
  assert.match(errorOf(answer).message, /All 2 upstream attempts failed: a \(HTTP 500\), b \(HTTP 502\)\./)
  assert.deepEqual(counts(a, b, c), [1, 1, 0])
})

test('no switch after a byte reached the client: a broken first answer is not retried elsewhere', async (t) => {
  const breaking = await startMock(t, { behaviour: { fault: 'truncate', chunks: 6 } })
  const spare = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: breaking.url }, { url: spare.url }] }] })

  const stream = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [], stream: true }),
  })
  assert.equal(stream.statusCode, 200)
  let text = ''
  await assert.rejects(async () => {
    for await (const chunk of stream.body) text += (chunk as Buffer).toString('utf8')
  })
  assert.ok(text.includes('tok0'), 'the first upstream had started answering')
  assert.ok(text.includes('RELAY_ERR_UPSTREAM_STREAM_BROKEN'))
  assert.ok(!text.includes('[DONE]'))

  // The SDK sees its stream fail; nothing is replayed from the spare upstream.
  const sdkStream = await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages: [], stream: true })
  await assert.rejects(async () => {
    for await (const _chunk of sdkStream) void _chunk
  })

  // A JSON answer cut after its headers is not replayed either.
  const json = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody })
  assert.equal(json.statusCode, 200)
  await assert.rejects(json.body.text())
  assert.equal(breaking.requests.length, 3)
  assert.equal(spare.requests.length, 0)
})

test('Retry-After within failover.maxRetryAfter is waited out, then the same upstream is tried again', async (t) => {
  const only = await startMock(t, { behaviour: { status: 429, retryAfter: '1' } })
  const relay = await startRelay(t, { failover: { maxAttempts: 2, maxRetryAfter: '2s' }, routes: [{ path: '/', upstreams: [{ url: only.url, keys: ['sk-only'] }] }] })
  const started = performance.now()
  const pending = post(relay.url)
  await eventually(() => only.requests.length === 1)
  only.setBehaviour({ status: 200, retryAfter: '' })
  await eventually(() => only.requests.length === 2, 3000)
  // Timed by the mock's arrival times: when the test noticed a request lagged by up to a poll on a loaded CI machine.
  const waited = only.requests[1]!.receivedAt - only.requests[0]!.receivedAt
  const answer = await pending
  assert.equal(answer.status, 200)
  assert.ok(waited >= 990 && waited < 1900, `the 1 s Retry-After was waited out (${Math.round(waited)} ms)`)
  assert.ok(performance.now() - started < 2500)
  assert.ok(only.requests[0]!.body.equals(only.requests[1]!.body))
})

test('a Retry-After longer than failover.maxRetryAfter is honoured: that upstream is not asked again by the same request', async (t) => {
  const limited = await startMock(t, { behaviour: { status: 429, retryAfter: '5' } })
  const broken = await startMock(t, { behaviour: { status: 500 } })
  const relay = await startRelay(
    t,
    {
      failover: { maxAttempts: 4, maxRetryAfter: '500ms' },
      routes: [
        { path: '/single', upstreams: [{ name: 'limited', url: limited.url }] },
        { path: '/pair', upstreams: [{ name: 'limited', url: limited.url }, { name: 'broken', url: broken.url }] },
      ],
    },
    { failOnErrorLogs: false },
  )
  // One upstream, four attempts allowed: it asked for 5 s, so the 429 stands after one request.
  const started = performance.now()
  const single = await post(`${relay.url}/single`)
  assert.equal(single.status, 429)
  assert.equal(single.headers['retry-after'], '5')
  assert.equal(errorOf(single).code, 'RELAY_ERR_UPSTREAMS_RATE_LIMITED')
  assert.equal(limited.requests.length, 1)
  assert.ok(performance.now() - started < 500, 'no pointless waiting either')

  // Two upstreams, four attempts: the second round skips the rate-limited one and retries only the other.
  const pair = await post(`${relay.url}/pair`)
  assert.equal(pair.status, 502)
  assert.match(errorOf(pair).message, /All 3 upstream attempts failed: limited \(HTTP 429\), broken \(HTTP 500\), broken \(HTTP 500\)\./)
  assert.deepEqual(counts(limited, broken), [2, 2])
})
