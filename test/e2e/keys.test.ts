import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import OpenAI, { APIError } from 'openai'
import { request } from 'undici'
import type { MockUpstream } from '../../src/mock-upstream/index.js'
import { startMock } from '../helpers/mock.js'
import { startRelay, type TestRelay } from '../helpers/relay.js'

// Issue 2, point 6 (guard keys): client tokens, forward keys and levels, upstream keys.

function sdk(baseURL: string, apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL, maxRetries: 0 })
}

function chat(client: OpenAI, model = 'gpt-4o-mini') {
  return client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
}

/** The Authorization header each request to the mock carried, in order. */
function authsOf(mock: MockUpstream): (string | undefined)[] {
  return mock.requests.map((entry) => entry.headers.authorization)
}

/** Tests that expect a 5xx answer allow the gateway to log it at error level, but nothing else. */
function onlyExpectedErrors(relay: TestRelay, code: string): void {
  const errors = relay.logs.map((line) => JSON.parse(line) as { level: number; code?: string }).filter((entry) => entry.level >= 50)
  assert.ok(errors.every((entry) => entry.code === code), `unexpected error logs: ${JSON.stringify(errors)}`)
}

/** Expects an SDK error of this class, HTTP status and relay error code. */
async function rejectsWith(promise: Promise<unknown>, kind: new (...args: never[]) => APIError, status: number, code: string): Promise<APIError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof kind, `expected ${kind.name}, got ${String(caught)}`)
  const apiError = caught as APIError
  assert.equal(apiError.status, status)
  assert.equal(apiError.code, code)
  return apiError
}

test('client tokens: global, per route and per upstream; Bearer word optional', async (t) => {
  const [global, route, one, two] = await Promise.all([startMock(t), startMock(t), startMock(t), startMock(t)])
  const relay = await startRelay(t, {
    access: { clientTokens: ['tok-global'] },
    routes: [
      { path: '/g', upstreams: [{ name: 'global', url: global.url, keys: ['sk-global'] }] },
      { path: '/r', clientTokens: ['tok-route'], upstreams: [{ name: 'route', url: route.url, keys: ['sk-route'] }] },
      {
        path: '/u',
        upstreams: [
          { name: 'one', url: one.url, keys: ['sk-one'], clientTokens: ['tok-a'] },
          { name: 'two', url: two.url, keys: ['sk-two'], clientTokens: ['tok-b'] },
        ],
      },
    ],
  }, { failOnErrorLogs: false })

  // The global token opens a route without tokens of its own.
  assert.equal((await chat(sdk(`${relay.url}/g/v1`, 'tok-global'))).object, 'chat.completion')
  assert.deepEqual(authsOf(global), ['Bearer sk-global'])
  assert.equal(global.requests[0]?.url, '/v1/chat/completions')

  // A route's own list replaces the global one.
  assert.equal((await chat(sdk(`${relay.url}/r/v1`, 'tok-route'))).object, 'chat.completion')
  await rejectsWith(chat(sdk(`${relay.url}/r/v1`, 'tok-global')), OpenAI.PermissionDeniedError, 403, 'RELAY_ERR_TOKEN_NOT_ALLOWED')
  assert.deepEqual(authsOf(route), ['Bearer sk-route'])

  // Per-upstream tokens select the candidates: A only ever reaches one, B only two.
  assert.equal((await chat(sdk(`${relay.url}/u/v1`, 'tok-a'))).object, 'chat.completion')
  assert.equal((await chat(sdk(`${relay.url}/u/v1`, 'tok-b'))).object, 'chat.completion')
  assert.deepEqual(authsOf(one), ['Bearer sk-one'])
  assert.deepEqual(authsOf(two), ['Bearer sk-two'])
  // Even when one fails, token A does not fail over to two, which it may not use.
  one.setBehaviour({ status: 500 })
  await rejectsWith(chat(sdk(`${relay.url}/u/v1`, 'tok-a')), OpenAI.InternalServerError, 502, 'RELAY_ERR_UPSTREAM_FAILED')
  assert.equal(one.requests.length, 2)
  assert.equal(two.requests.length, 1)
  onlyExpectedErrors(relay, 'RELAY_ERR_UPSTREAM_FAILED')
  // The global token is not on either upstream's own list.
  await rejectsWith(chat(sdk(`${relay.url}/u/v1`, 'tok-global')), OpenAI.PermissionDeniedError, 403, 'RELAY_ERR_TOKEN_NOT_ALLOWED')

  // openai-api-route accepts the token without the word Bearer.
  const bare = await request(`${relay.url}/g/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'tok-global', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  })
  assert.equal(bare.statusCode, 200)
  await bare.body.dump()
  assert.equal(global.requests.at(-1)?.headers.authorization, 'Bearer sk-global')
})

test('noauth upstream is usable without a token; a protected one needs one', async (t) => {
  const [locked, open] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(t, {
    access: { clientTokens: ['tok-global'] },
    routes: [{ path: '/', upstreams: [{ name: 'locked', url: locked.url, keys: ['sk-locked'] }, { name: 'open', url: open.url, noauth: true }] }],
  })
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [] })
  const anonymous = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  assert.equal(anonymous.statusCode, 200)
  await anonymous.body.dump()
  assert.equal(locked.requests.length, 0, 'the protected upstream must not see a request without a token')
  assert.equal(open.requests.length, 1)
  assert.equal(open.requests[0]?.headers.authorization, undefined)

  // With the token, the protected upstream comes first in order.
  await chat(sdk(`${relay.url}/v1`, 'tok-global'))
  assert.deepEqual(authsOf(locked), ['Bearer sk-locked'])
  assert.equal(open.requests.length, 1)
})

test('unknown token on a protected route → 401, known token not allowed → 403, no upstream request', async (t) => {
  const [mock, other] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(t, {
    access: { clientTokens: ['tok-global'] },
    routes: [
      { path: '/', upstreams: [{ url: mock.url, keys: ['sk-up'] }] },
      { path: '/team', clientTokens: ['tok-team'], upstreams: [{ url: other.url, keys: ['sk-other'] }] },
    ],
  })
  const unauthorized = await rejectsWith(chat(sdk(`${relay.url}/v1`, 'tok-unknown')), OpenAI.AuthenticationError, 401, 'RELAY_ERR_UNAUTHORIZED')
  assert.equal(unauthorized.type, 'authentication_error')
  assert.ok(!JSON.stringify(unauthorized.error).includes('tok-unknown'), 'the error must not echo the token')
  assert.ok(unauthorized.headers?.get('x-relay-request-id'))

  // No Authorization at all is the same as an unknown token.
  const none = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini"}' })
  assert.equal(none.statusCode, 401)
  assert.equal(((await none.body.json()) as { error: { code: string } }).error.code, 'RELAY_ERR_UNAUTHORIZED')

  const forbidden = await rejectsWith(chat(sdk(`${relay.url}/team/v1`, 'tok-global')), OpenAI.PermissionDeniedError, 403, 'RELAY_ERR_TOKEN_NOT_ALLOWED')
  assert.equal(forbidden.type, 'permission_error')
  assert.equal(mock.requests.length + other.requests.length, 0)
})

test('open route: an unknown client token passes through unchanged to an upstream without keys', async (t) => {
  const [bare, keyed] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(t, {
    routes: [
      { path: '/', upstreams: [{ url: bare.url }] },
      { path: '/keyed', upstreams: [{ url: keyed.url, keys: ['sk-gateway'] }] },
    ],
  })
  await chat(sdk(`${relay.url}/v1`, 'sk-client-own-key'))
  assert.deepEqual(authsOf(bare), ['Bearer sk-client-own-key'])

  // An upstream with keys replaces the client's Authorization and drops other credential headers.
  const answer = await request(`${relay.url}/keyed/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-client-own-key', 'x-api-key': 'sk-client-own-key', 'api-key': 'sk-client-own-key', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  })
  assert.equal(answer.statusCode, 200)
  await answer.body.dump()
  const seen = keyed.requests[0]?.headers
  assert.equal(seen?.authorization, 'Bearer sk-gateway')
  assert.equal(seen?.['x-api-key'], undefined)
  assert.equal(seen?.['api-key'], undefined)
})

test('several upstream keys are used round-robin', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-1', 'sk-2', 'sk-3'] }] }] })
  const client = sdk(`${relay.url}/v1`, 'anything')
  for (let index = 0; index < 6; index++) await chat(client)
  assert.deepEqual(authsOf(mock), ['Bearer sk-1', 'Bearer sk-2', 'Bearer sk-3', 'Bearer sk-1', 'Bearer sk-2', 'Bearer sk-3'])
})

test('keys: [asis] forwards the client Authorization header as it came', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['asis'] }] }] })
  const answer = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer  sk-client-exact', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  })
  assert.equal(answer.statusCode, 200)
  await answer.body.dump()
  assert.equal(mock.requests[0]?.headers.authorization, 'Bearer  sk-client-exact')
})

test('gateway-issued credentials (client tokens, forward keys) never travel upstream', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    access: { clientTokens: ['tok-issued'], forwardKeys: [{ key: 'fk-issued', level: 0 }] },
    routes: [{ path: '/', upstreams: [{ url: mock.url }] }],
  })
  await chat(sdk(`${relay.url}/v1`, 'tok-issued'))
  await chat(sdk(`${relay.url}/v1`, 'fk-issued'))
  assert.equal(mock.requests.length, 2)
  for (const entry of mock.requests) {
    assert.equal(entry.headers.authorization, undefined)
    const everything = JSON.stringify(entry.headers) + entry.body.toString('utf8')
    assert.ok(!everything.includes('tok-issued') && !everything.includes('fk-issued'), `leaked upstream: ${everything}`)
  }
})

const levelConfig = (url: string, upstreams: { url: string; name: string }[] = [{ url, name: 'only' }]) => ({
  access: {
    forwardKeys: [
      { key: 'fk-level0', level: 0 },
      { key: 'fk-level1', level: 1 },
    ],
    levels: [
      { level: 0, keys: ['sk-level0'] },
      { level: 1, models: ['gpt-4o-mini', 'text-embedding-3-small'], keys: ['sk-level1-a', 'sk-level1-b'] },
    ],
  },
  routes: [{ path: '/', upstreams }],
})

test('forward keys: the level keys are used round-robin; level 0 may use any model', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, levelConfig(mock.url))
  const level1 = sdk(`${relay.url}/v1`, 'fk-level1')
  for (let index = 0; index < 3; index++) await chat(level1)
  assert.deepEqual(authsOf(mock), ['Bearer sk-level1-a', 'Bearer sk-level1-b', 'Bearer sk-level1-a'])

  mock.reset()
  const level0 = sdk(`${relay.url}/v1`, 'fk-level0')
  const answer = await chat(level0, 'some-model-no-list-names')
  assert.equal(answer.model, 'some-model-no-list-names')
  assert.deepEqual(authsOf(mock), ['Bearer sk-level0'])
})

test('forward key of level 1 with a model outside its list → 403 RELAY_ERR_MODEL_NOT_ALLOWED, no upstream request', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, levelConfig(mock.url))
  const error = await rejectsWith(chat(sdk(`${relay.url}/v1`, 'fk-level1'), 'gpt-4o'), OpenAI.PermissionDeniedError, 403, 'RELAY_ERR_MODEL_NOT_ALLOWED')
  assert.match(error.message, /'gpt-4o'/)
  assert.equal(error.param, 'model')
  assert.equal(mock.requests.length, 0)
  // A listed model of the same level still works.
  const embedding = await sdk(`${relay.url}/v1`, 'fk-level1').embeddings.create({ model: 'text-embedding-3-small', input: 'x' })
  assert.equal(embedding.object, 'list')
})

test('a level key refused with 401 moves the request on with the next key, and the refused key rests', async (t) => {
  const [first, second] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(
    t,
    levelConfig(first.url, [
      { name: 'first', url: first.url },
      { name: 'second', url: second.url },
    ]),
  )
  const client = sdk(`${relay.url}/v1`, 'fk-level1')
  first.setBehaviour({ status: 401 })
  const answer = await chat(client)
  assert.equal(answer.object, 'chat.completion')
  assert.deepEqual(authsOf(first), ['Bearer sk-level1-a'])
  assert.deepEqual(authsOf(second), ['Bearer sk-level1-b'], 'the next upstream gets the next key of the level')

  // The first upstream is well again; key a rests, so only key b is handed out for now.
  first.reset()
  second.reset()
  await chat(client)
  await chat(client)
  assert.deepEqual(authsOf(first), ['Bearer sk-level1-b', 'Bearer sk-level1-b'])
  assert.equal(second.requests.length, 0, 'a 401 on our key is not the upstream being unwell: it stays first')
})

test('one upstream with two keys: a refused key is replaced by the other within the same request, then rests', async (t) => {
  const mock = await startMock(t)
  // The upstream refuses one key only: a per-request override keyed on the Authorization it receives.
  const refusing = createServer((incoming, outgoing) => {
    const revoked = incoming.headers.authorization === 'Bearer sk-revoked'
    const proxied = request(`${mock.url}${incoming.url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(revoked ? { 'x-mock-status': '401' } : {}) },
      body: incoming,
    })
    proxied.then(
      async (answer) => {
        outgoing.writeHead(answer.statusCode, { 'content-type': 'application/json' })
        outgoing.end(Buffer.from(await answer.body.arrayBuffer()))
      },
      () => outgoing.destroy(),
    )
  })
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => refusing.close(() => resolve())))
  const port = (refusing.address() as AddressInfo).port
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ name: 'solo', url: `http://127.0.0.1:${port}`, keys: ['sk-revoked', 'sk-good'] }] }] })
  const client = sdk(`${relay.url}/v1`, 'anything')

  const answer = await chat(client)
  assert.equal(answer.object, 'chat.completion', 'the other key answered the same request')
  assert.equal(mock.requests.length, 2)
  assert.equal(mock.requests[0]!.headers['x-mock-status'], '401')
  assert.equal(mock.requests[1]!.headers['x-mock-status'], undefined)
  assert.deepEqual(JSON.parse(mock.requests[0]!.body.toString()), JSON.parse(mock.requests[1]!.body.toString()), 'the same request bytes')

  // The refused key rests: the next requests go straight to the good one.
  mock.reset()
  for (let index = 0; index < 3; index++) await chat(client)
  assert.equal(mock.requests.length, 3)
  assert.ok(mock.requests.every((received) => received.headers['x-mock-status'] === undefined))
})

test('one upstream whose every key is refused: 502 naming the upstream, each key tried once, none named', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ name: 'solo', url: mock.url, keys: ['sk-revoked', 'sk-also-revoked'] }] }] }, { failOnErrorLogs: false })
  const client = sdk(`${relay.url}/v1`, 'anything')
  mock.setBehaviour({ status: 401 })
  const error = await rejectsWith(chat(client), OpenAI.InternalServerError, 502, 'RELAY_ERR_UPSTREAM_FAILED')
  assert.match(error.message, /solo \(HTTP 401\), solo \(HTTP 401\)/)
  assert.ok(!error.message.includes('sk-'))
  assert.deepEqual(authsOf(mock), ['Bearer sk-revoked', 'Bearer sk-also-revoked'])
  onlyExpectedErrors(relay, 'RELAY_ERR_UPSTREAM_FAILED')
})
