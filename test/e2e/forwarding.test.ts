import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import OpenAI, { toFile } from 'openai'
import { request } from 'undici'
import type { MockUpstream } from '../../src/mock-upstream/index.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 2, points 3 (route) and 8 (behave): the OpenAI SDK and raw HTTP → gateway → mock upstream, real sockets.

function sdk(baseURL: string, apiKey = 'client-token'): OpenAI {
  return new OpenAI({ apiKey, baseURL, maxRetries: 0 })
}

function lastRequest(mock: MockUpstream) {
  const last = mock.requests.at(-1)
  assert.ok(last, 'the mock upstream got no request')
  return last
}

interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** node:http with exactly the headers given (undici refuses hop-by-hop request headers such as connection and upgrade). */
function rawHttp(url: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string }
}

test('every method and path under an openai route is forwarded: models, chat, completions, embeddings, multipart audio (SDK)', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-up-forwarding'] }] }] })
  const client = sdk(`${relay.url}/v1`)

  const models = await client.models.list()
  assert.deepEqual(
    models.data.map((model) => model.id),
    ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'whisper-1'],
  )
  assert.equal(lastRequest(mock).method, 'GET')
  assert.equal(lastRequest(mock).url, '/v1/models')

  const model = await client.models.retrieve('gpt-4o')
  assert.equal(model.id, 'gpt-4o')
  assert.equal(lastRequest(mock).url, '/v1/models/gpt-4o')

  const chat = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })
  assert.equal(chat.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.equal(lastRequest(mock).method, 'POST')
  assert.equal(lastRequest(mock).url, '/v1/chat/completions')
  assert.deepEqual(JSON.parse(lastRequest(mock).body.toString('utf8')), { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })

  const completion = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'say' })
  assert.equal(completion.choices[0]?.text, 'tok0 tok1 tok2 ')
  assert.equal(lastRequest(mock).url, '/v1/completions')

  const embeddings = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] })
  assert.equal(embeddings.data.length, 2)
  assert.equal(embeddings.data[0]?.embedding.length, 8)
  assert.equal(lastRequest(mock).url, '/v1/embeddings')

  const audio = randomBytes(50_000)
  const transcription = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(audio, 'speech.wav', { type: 'audio/wav' }) })
  // The mock parses the form and counts the file's bytes: the whole upload arrived.
  assert.equal(transcription.text, `transcribed ${audio.length} bytes with whisper-1`)
  const upload = lastRequest(mock)
  assert.equal(upload.url, '/v1/audio/transcriptions')
  assert.match(String(upload.headers['content-type']), /^multipart\/form-data; boundary=/)
  assert.ok(upload.body.includes(audio), 'the file bytes arrive unchanged inside the multipart body')

  for (const seen of mock.requests) assert.equal(seen.headers.authorization, 'Bearer sk-up-forwarding')
})

test('a general route forwards PUT, PATCH, DELETE, POST and GET byte for byte, with the query string', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/g', type: 'general', upstreams: [{ url: mock.url }] }] })
  // Every byte value, and not valid UTF-8 or JSON: nothing may parse or re-encode it.
  const binary = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, index) => index)), randomBytes(4096)])
  const query = '?b=2&a=1&a=%20x&empty=&flag&utf=%C3%A9'
  for (const method of ['PUT', 'PATCH', 'DELETE', 'POST'] as const) {
    const answer = await request(`${relay.url}/g/echo/items/42${query}`, {
      method,
      headers: { 'content-type': 'application/octet-stream' },
      body: binary,
    })
    const body = Buffer.from(await answer.body.arrayBuffer())
    assert.equal(answer.statusCode, 200, method)
    assert.ok(body.equals(binary), `${method}: the answer body is byte-exact`)
    assert.equal(answer.headers['x-mock-echo-method'], method)
    assert.equal(answer.headers['x-mock-echo-url'], `/echo/items/42${query}`)
    const seen = lastRequest(mock)
    assert.equal(seen.method, method)
    assert.equal(seen.url, `/echo/items/42${query}`)
    assert.ok(seen.body.equals(binary), `${method}: the upstream got the body byte-exact`)
    assert.equal(seen.headers['content-type'], 'application/octet-stream')
    assert.equal(seen.headers['content-length'], String(binary.length))
  }

  const get = await request(`${relay.url}/g/echo/list?page=3&q=a%2Fb`)
  assert.equal(get.statusCode, 200)
  assert.equal((await get.body.arrayBuffer()).byteLength, 0)
  assert.equal(lastRequest(mock).method, 'GET')
  assert.equal(lastRequest(mock).url, '/echo/list?page=3&q=a%2Fb')

  // A body without any content type is still forwarded whole.
  const untyped = await request(`${relay.url}/g/echo/untyped`, { method: 'POST', body: binary })
  assert.equal(untyped.statusCode, 200)
  assert.ok(Buffer.from(await untyped.body.arrayBuffer()).equals(binary))
  assert.equal(lastRequest(mock).headers['content-type'], undefined)
  assert.ok(lastRequest(mock).body.equals(binary))

  // A body with a JSON content type that is not JSON: a general route does not care.
  const notJson = Buffer.from('{"model": 5, broken')
  const json = await request(`${relay.url}/g/echo/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: notJson })
  assert.equal(json.statusCode, 200)
  assert.ok(Buffer.from(await json.body.arrayBuffer()).equals(notJson))
  assert.ok(lastRequest(mock).body.equals(notJson))
})

test('routes match by prefix: longest first, whole segments only; the rest of the path goes to the upstream', async (t) => {
  const root = await startMock(t)
  const gemini = await startMock(t)
  const geminiV2 = await startMock(t)
  // Listed shortest first: the gateway must still try the longest prefix first.
  const relay = await startRelay(t, {
    routes: [
      { path: '/', type: 'general', upstreams: [{ url: root.url }] },
      { path: '/gemini', type: 'general', upstreams: [{ url: gemini.url }] },
      { path: '/gemini/v2', type: 'general', upstreams: [{ url: geminiV2.url }] },
    ],
  })
  const cases: Array<[sent: string, mock: MockUpstream, seen: string]> = [
    ['/gemini/echo/a?x=1', gemini, '/echo/a?x=1'],
    ['/gemini/v2/echo/b', geminiV2, '/echo/b'],
    ['/gemini/v2x/echo/c', gemini, '/v2x/echo/c'],
    ['/geminiX/echo/d', root, '/geminiX/echo/d'],
    ['/gemini-pro/echo/e', root, '/gemini-pro/echo/e'],
    ['/echo/f', root, '/echo/f'],
  ]
  for (const [sent, mock, seen] of cases) {
    const before = [root, gemini, geminiV2].map((each) => each.requests.length)
    const answer = await request(relay.url + sent, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: sent })
    if (seen.startsWith('/echo')) {
      assert.equal(answer.statusCode, 200, sent)
      assert.equal(await answer.body.text(), sent)
    } else {
      // Not an echo path at that upstream: its own 404 comes back, relayed.
      assert.equal(answer.statusCode, 404, sent)
      assert.ok((await answer.body.text()).includes(`Unknown request URL: POST ${seen}.`), sent)
    }
    assert.equal(lastRequest(mock).url, seen, `${sent} reaches the right upstream with the rest of its path`)
    const after = [root, gemini, geminiV2].map((each) => each.requests.length)
    assert.equal(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0), 1, `${sent}: exactly one upstream request`)
  }
  // The bare prefix maps to the upstream's root.
  const bare = await request(`${relay.url}/gemini`)
  await bare.body.dump()
  assert.equal(lastRequest(gemini).url, '/')
})

test('an upstream base URL with a path is honoured (route /x + http://host/openai → /openai/v1/...)', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    routes: [
      { path: '/x', upstreams: [{ url: `${mock.url}/openai`, keys: ['sk-x'] }] },
      { path: '/y', upstreams: [{ url: `${mock.url}/deep/base/`, keys: ['sk-y'] }] },
    ],
  })
  const answer = await sdk(`${relay.url}/x/v1`).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(answer.object, 'chat.completion')
  assert.equal(lastRequest(mock).url, '/openai/v1/chat/completions')

  const models = await sdk(`${relay.url}/y/v1`).models.list()
  assert.ok(models.data.length > 0)
  assert.equal(lastRequest(mock).url, '/deep/base/v1/models', 'a trailing slash on the base URL does not double the slash')

  const withQuery = await request(`${relay.url}/x/v1/models?limit=2`)
  await withQuery.body.dump()
  assert.equal(lastRequest(mock).url, '/openai/v1/models?limit=2')
})

test('request headers: hop-by-hop stripped, Host rewritten, X-Forwarded-* dropped, Authorization replaced by the upstream key', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    routes: [
      { path: '/', upstreams: [{ url: mock.url, keys: ['sk-upstream-key'] }] },
      { path: '/gen', type: 'general', upstreams: [{ url: mock.url, keys: ['sk-general-key'] }] },
    ],
  })
  const clientHeaders: OutgoingHttpHeaders = {
    host: 'client-facing.example:8443',
    connection: 'keep-alive, X-Custom-Hop',
    'x-custom-hop': 'must not arrive',
    'keep-alive': 'timeout=5, max=100',
    te: 'trailers',
    upgrade: 'websocket',
    'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
    'proxy-connection': 'keep-alive',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-host': 'client-facing.example',
    'x-forwarded-proto': 'https',
    'x-real-ip': '203.0.113.7',
    forwarded: 'for=203.0.113.7',
    authorization: 'Bearer client-own-secret',
    'accept-encoding': 'gzip, br',
    'x-keep-me': 'yes',
    'openai-organization': 'org-1',
    'user-agent': 'forwarding-test/1.0',
    'content-type': 'application/json',
  }
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
  const answer = await rawHttp(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: clientHeaders, body })
  assert.equal(answer.status, 200, answer.body.toString())

  const seen = lastRequest(mock).headers
  for (const name of ['x-custom-hop', 'keep-alive', 'te', 'upgrade', 'proxy-authorization', 'proxy-connection', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'forwarded']) {
    assert.equal(seen[name], undefined, `${name} must not reach the upstream`)
  }
  assert.ok(!String(seen.connection ?? '').toLowerCase().includes('x-custom-hop'), 'the client Connection header is not forwarded')
  assert.equal(seen.host, `127.0.0.1:${mock.port}`)
  assert.equal(seen.authorization, 'Bearer sk-upstream-key')
  assert.equal(seen['accept-encoding'], undefined, 'an openai route asks for an identity-encoded answer')
  assert.equal(seen['x-keep-me'], 'yes')
  assert.equal(seen['openai-organization'], 'org-1')
  assert.equal(seen['user-agent'], 'forwarding-test/1.0')
  assert.equal(seen['content-length'], String(Buffer.byteLength(body)))
  assert.ok(!JSON.stringify(mock.requests).includes('client-own-secret'), 'the client credential never reaches the upstream')

  // A general route forwards accept-encoding (it never reads the answer), but the same hop-by-hop rules apply.
  const general = await rawHttp(`${relay.url}/gen/echo/h`, { method: 'POST', headers: clientHeaders, body: 'x' })
  assert.equal(general.status, 200)
  const seenGeneral = lastRequest(mock).headers
  assert.equal(seenGeneral['accept-encoding'], 'gzip, br')
  assert.equal(seenGeneral['x-custom-hop'], undefined)
  assert.equal(seenGeneral['keep-alive'], undefined)
  assert.equal(seenGeneral['proxy-authorization'], undefined)
  assert.equal(seenGeneral['x-forwarded-for'], undefined)
  assert.equal(seenGeneral.host, `127.0.0.1:${mock.port}`)
  assert.equal(seenGeneral.authorization, 'Bearer sk-general-key')
})

test('keepHeaders: false forwards only content-type, accept and openai-* (plus the upstream key)', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-strict'], keepHeaders: false }] }] })
  const answer = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'openai-organization': 'org-9',
      'openai-beta': 'assistants=v2',
      'x-keep-me': 'no',
      'user-agent': 'strict-test',
      'x-stainless-lang': 'js',
      cookie: 'session=abc',
      authorization: 'Bearer client-thing',
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  })
  assert.equal(answer.statusCode, 200)
  await answer.body.dump()
  const seen = lastRequest(mock).headers
  // What the upstream client itself adds for the new connection.
  const transport = new Set(['host', 'content-length', 'connection'])
  const forwarded = Object.keys(seen).filter((name) => !transport.has(name)).sort()
  assert.deepEqual(forwarded, ['accept', 'authorization', 'content-type', 'openai-beta', 'openai-organization'])
  assert.equal(seen.authorization, 'Bearer sk-strict')
  assert.equal(seen['openai-beta'], 'assistants=v2')
})

test('response headers: hop-by-hop (incl. those the upstream Connection header lists) removed; CORS and x-relay-request-id added', async (t) => {
  // A hand-written upstream, to send response headers the mock never sends.
  const upstream = createServer((_req, res) => {
    res.setHeader('connection', 'keep-alive, X-Upstream-Hop')
    res.setHeader('keep-alive', 'timeout=1, max=7')
    res.setHeader('x-upstream-hop', 'must not reach the client')
    res.setHeader('proxy-connection', 'keep-alive')
    res.setHeader('access-control-allow-origin', 'https://evil.example')
    res.setHeader('x-upstream-plain', 'kept')
    res.setHeader('content-type', 'application/json')
    res.end('{"ok":true}')
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => upstream.close(() => resolve())).then(() => undefined))
  upstream.unref()
  const port = (upstream.address() as AddressInfo).port
  const relay = await startRelay(t, { routes: [{ path: '/', type: 'general', upstreams: [{ url: `http://127.0.0.1:${port}` }] }] })

  const answer = await rawHttp(`${relay.url}/anything`, { headers: { 'x-request-id': 'req-abc-123' } })
  assert.equal(answer.status, 200)
  assert.equal(answer.body.toString(), '{"ok":true}')
  assert.equal(answer.headers['x-upstream-plain'], 'kept')
  assert.equal(answer.headers['x-upstream-hop'], undefined, 'a header the upstream listed in Connection is hop-by-hop (RFC 9110 §7.6.1)')
  assert.equal(answer.headers['proxy-connection'], undefined)
  assert.notEqual(answer.headers['keep-alive'], 'timeout=1, max=7', "the upstream's keep-alive parameters are not relayed")
  assert.ok(!String(answer.headers.connection ?? '').toLowerCase().includes('x-upstream-hop'))
  assert.equal(answer.headers['access-control-allow-origin'], '*')
  assert.equal(answer.headers['x-relay-request-id'], 'req-abc-123')

  // Without an incoming id the gateway makes one.
  const second = await request(`${relay.url}/again`)
  await second.body.dump()
  assert.match(String(second.headers['x-relay-request-id']), /^[0-9a-f-]{36}$/)
})

test('CORS preflight is answered 204 by the gateway without any upstream request', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    server: { cors: { origin: 'https://app.example' } },
    routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-cors'] }] }],
  })
  const answer = await request(`${relay.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-stainless-os' },
  })
  assert.equal(answer.statusCode, 204)
  assert.equal(await answer.body.text(), '')
  assert.equal(answer.headers['access-control-allow-origin'], 'https://app.example')
  assert.match(String(answer.headers['access-control-allow-methods']), /\bPOST\b/)
  assert.equal(answer.headers['access-control-allow-headers'], 'authorization, content-type, x-stainless-os')
  assert.equal(mock.requests.length, 0)

  // The configured origin also goes on relayed answers.
  const chat = await request(`${relay.url}/v1/models`)
  await chat.body.dump()
  assert.equal(chat.headers['access-control-allow-origin'], 'https://app.example')
})

test('a body over server.bodyLimit gets 413 with an OpenAI error body; the gateway keeps serving', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    server: { bodyLimit: '1kb' },
    routes: [
      { path: '/', upstreams: [{ url: mock.url, keys: ['sk-limit'] }] },
      { path: '/g', type: 'general', upstreams: [{ url: mock.url }] },
    ],
  })
  const big = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(2000) }] })
  const answer = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big })
  assert.equal(answer.statusCode, 413)
  assert.ok(answer.headers['x-relay-request-id'])
  const error = (await answer.body.json()) as ErrorBody
  assert.equal(error.error.code, 'RELAY_ERR_BODY_TOO_LARGE')
  assert.equal(error.error.type, 'invalid_request_error')
  assert.equal(typeof error.error.message, 'string')

  const binary = await request(`${relay.url}/g/echo/upload`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: randomBytes(1025) })
  assert.equal(binary.statusCode, 413)
  assert.equal(((await binary.body.json()) as ErrorBody).error.code, 'RELAY_ERR_BODY_TOO_LARGE')
  assert.equal(mock.requests.length, 0, 'nothing over the limit reaches the upstream')

  // Exactly at the limit still passes, and the process is still serving.
  const atLimit = randomBytes(1024)
  const ok = await request(`${relay.url}/g/echo/upload`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: atLimit })
  assert.equal(ok.statusCode, 200)
  assert.ok(Buffer.from(await ok.body.arrayBuffer()).equals(atLimit))
  const chat = await sdk(`${relay.url}/v1`).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'small' }] })
  assert.equal(chat.object, 'chat.completion')
})

test('openai routes: malformed JSON and wrong field types get 400 naming the field, without an upstream call', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-validate'] }] }] })
  const client = sdk(`${relay.url}/v1`)

  for (const body of ['{"model": "gpt-4o-mini", ', 'not json at all', '[1,2]', 'null']) {
    const answer = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    assert.equal(answer.statusCode, 400, body)
    assert.ok(answer.headers['x-relay-request-id'])
    const error = (await answer.body.json()) as ErrorBody
    assert.equal(error.error.code, 'RELAY_ERR_BAD_JSON', body)
    assert.equal(error.error.type, 'invalid_request_error')
  }

  const badJson = await client.post('/chat/completions', { body: '{"model": oops}', headers: { 'content-type': 'application/json' } }).then(
    () => assert.fail('expected a 400'),
    (error: unknown) => error,
  )
  assert.ok(badJson instanceof OpenAI.BadRequestError)
  assert.equal(badJson.code, 'RELAY_ERR_BAD_JSON')

  const badModel = await client.chat.completions.create({ model: 5 as unknown as string, messages: [] }).then(
    () => assert.fail('expected a 400'),
    (error: unknown) => error,
  )
  assert.ok(badModel instanceof OpenAI.BadRequestError, String(badModel))
  assert.equal(badModel.status, 400)
  assert.equal(badModel.code, 'RELAY_ERR_BAD_FIELD')
  assert.equal(badModel.param, 'model')
  assert.equal(badModel.type, 'invalid_request_error')

  const badStream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [], stream: 'yes' as unknown as false }).then(
    () => assert.fail('expected a 400'),
    (error: unknown) => error,
  )
  assert.ok(badStream instanceof OpenAI.BadRequestError, String(badStream))
  assert.equal(badStream.code, 'RELAY_ERR_BAD_FIELD')
  assert.equal(badStream.param, 'stream')

  assert.equal(mock.requests.length, 0)
  // Still serving after all those.
  const ok = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ok' }] })
  assert.equal(ok.object, 'chat.completion')
  assert.equal(mock.requests.length, 1)
})

test('/healthz and /readyz answer 200', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const health = await request(`${relay.url}/healthz`)
  assert.equal(health.statusCode, 200)
  assert.equal(await health.body.text(), 'ok')
  const ready = await request(`${relay.url}/readyz`)
  assert.equal(ready.statusCode, 200)
  assert.equal(((await ready.body.json()) as { ready: boolean }).ready, true)
  assert.equal(mock.requests.length, 0, 'health checks are answered by the gateway itself')
})

test('an upstream client error (404, 422) is relayed with its status and body and is not failed over', async (t) => {
  const first = await startMock(t)
  const second = await startMock(t)
  const relay = await startRelay(t, {
    routes: [{ path: '/', upstreams: [{ name: 'first', url: first.url, keys: ['sk-first'] }, { name: 'second', url: second.url, keys: ['sk-second'] }] }],
  })
  for (const status of [404, 422]) {
    const answer = await request(`${relay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-status': String(status) },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    })
    assert.equal(answer.statusCode, status)
    const expected = JSON.stringify({
      error: {
        message: `The mock upstream answered ${status} as its behaviour asked.`,
        type: 'invalid_request_error',
        param: null,
        code: status === 404 ? 'not_found' : 'http_422',
      },
    })
    assert.equal(await answer.body.text(), expected, "the upstream's body byte for byte")
    assert.ok(answer.headers['x-mock-request-id'], "the upstream's headers come along")
  }
  assert.equal(first.requests.length, 2)
  assert.equal(second.requests.length, 0, 'a client error is not a reason to try another upstream')

  const sdkError = await sdk(`${relay.url}/v1`)
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [] }, { headers: { 'x-mock-status': '422' } })
    .then(
      () => assert.fail('expected a 422'),
      (error: unknown) => error,
    )
  assert.ok(sdkError instanceof OpenAI.UnprocessableEntityError)
  assert.equal(second.requests.length, 0)
})
