import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import type { ConfigInput } from '../../src/config/schema.js'
import type { MockRequest, MockUpstream } from '../../src/mock-upstream/index.js'
import { checkOpenAIStream, joined } from '../conformance/stream-check.js'
import { startMock } from '../helpers/mock.js'
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js'
import { readText } from '../helpers/read-body.js'

// The Replicate provider as openai-api-route meant it, without its bugs: official and versioned
// models, Prefer: wait and polling, streams from urls.stream with usage from metrics, cancel when the
// client leaves, urls.* followed only on the Replicate host, errors mapped; the OpenAI SDK as client.

const KEY = 'r8_e2e_upstream_key_4417'
const MODEL = 'meta/meta-llama-3-8b-instruct'
type UpstreamInput = ConfigInput['routes'][number]['upstreams'][number]

function sdk(relay: TestRelay): OpenAI {
  return new OpenAI({ apiKey: 'client-token', baseURL: `${relay.url}/v1`, maxRetries: 0 })
}

async function setup(t: TestContext, upstream: Partial<UpstreamInput> = {}, mockOptions: Parameters<typeof startMock>[1] = {}): Promise<{ mock: MockUpstream; relay: TestRelay; client: OpenAI }> {
  const mock = await startMock(t, mockOptions)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ provider: 'replicate', url: mock.url, keys: [KEY], ...upstream } as UpstreamInput] }] })
  return { mock, relay, client: sdk(relay) }
}

const user = (content: string) => ({ role: 'user' as const, content })
const bodyOf = (entry: MockRequest): Record<string, unknown> => JSON.parse(entry.body.toString('utf8')) as Record<string, unknown>
const paths = (mock: MockUpstream): string[] => mock.requests.map((entry) => `${entry.method} ${entry.url}`)

/** A chat stream read raw, so its exact chunks and how it ended can be checked. */
async function rawStream(relay: TestRelay, body: object, headers: Record<string, string> = {}): Promise<{ status: number; text: string; broken: boolean }> {
  const answer = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-token', ...headers },
    body: JSON.stringify({ model: MODEL, messages: [user('stream please')], stream: true, ...body }),
  })
  return { status: answer.statusCode, ...(await readText(answer.body)) }
}

test('plain answer through Prefer: wait: one create call, the text joined, usage from metrics, only the fields the client set', async (t) => {
  const { mock, client } = await setup(t)
  const answer = await client.chat.completions.create({ model: MODEL, messages: [user('hello there')] }, { headers: { 'x-mock-chunk-delay-ms': '20' } })
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.equal(answer.choices[0]?.finish_reason, 'stop')
  assert.equal(answer.model, MODEL)
  assert.match(answer.id, /^chatcmpl-rmock\d+$/)
  assert.deepEqual(answer.usage && [answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens], [3, 3, 6])

  assert.deepEqual(paths(mock), [`POST /v1/models/${MODEL}/predictions`])
  const create = mock.requests[0]!
  assert.equal(create.headers.authorization, `Bearer ${KEY}`)
  assert.equal(create.headers.prefer, 'wait=60')
  // openai-api-route sent temperature 0, top_p 0.9, top_k 50 and max_new_tokens 1024 whatever the client asked.
  assert.deepEqual(bodyOf(create), { input: { prompt: 'hello there' } })

  await client.chat.completions.create({ model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, user('hi')], temperature: 0.3, top_p: 0.8, max_tokens: 2, stop: ['x', 'y'], seed: 7 })
  assert.deepEqual(bodyOf(mock.requests[1]!), { input: { prompt: 'hi', system_prompt: 'Be brief.', max_tokens: 2, temperature: 0.3, top_p: 0.8, stop_sequences: 'x,y', seed: 7 } })
})

test('plain answer by polling urls.get (wait: 0): the key on every poll, the final prediction read', async (t) => {
  const { mock, client } = await setup(t, { wait: 0, pollInterval: '50ms' })
  const answer = await client.chat.completions.create({ model: MODEL, messages: [user('poll please')], max_tokens: 2 }, { headers: { 'x-mock-chunk-delay-ms': '60' } })
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 ')
  // Every token it was allowed was used: the answer ran out of room.
  assert.equal(answer.choices[0]?.finish_reason, 'length')
  assert.equal(answer.usage?.completion_tokens, 2)
  const [create, ...polls] = mock.requests
  assert.equal(create!.headers.prefer, undefined)
  assert.ok(polls.length >= 2, `polled ${polls.length} times`)
  for (const poll of polls) {
    assert.match(poll.url, /^\/v1\/predictions\/rmock\d+$/)
    assert.equal(poll.method, 'GET')
    assert.equal(poll.headers.authorization, `Bearer ${KEY}`)
    assert.equal(poll.headers['content-type'], undefined)
  }
  // The polls were pollInterval apart.
  for (let at = 1; at < polls.length; at++) assert.ok(polls[at]!.receivedAt - polls[at - 1]!.receivedAt >= 45)
})

test('stream: chunks of choice 0, one finish, usage from the metrics read after done, then [DONE]', async (t) => {
  const { mock, relay, client } = await setup(t)
  const stream = await rawStream(relay, { stream_options: { include_usage: true } }, { 'x-mock-chunks': '4', 'x-mock-chunk-delay-ms': '10' })
  assert.equal(stream.status, 200)
  const chunks = checkOpenAIStream(stream.text, { withUsage: true, model: MODEL })
  for (const chunk of chunks) for (const choice of chunk.choices) assert.equal(choice.index, 0)
  assert.deepEqual(joined(chunks).content, 'tok0 tok1 tok2 tok3 ')
  assert.equal(joined(chunks).finish, 'stop')
  assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 })
  assert.match(chunks[0]!.id, /^chatcmpl-rmock\d+$/)

  const [create, streamGet, metricsGet] = mock.requests
  assert.deepEqual(bodyOf(create!), { input: { prompt: 'stream please' }, stream: true })
  assert.equal(create!.headers.prefer, undefined)
  assert.match(streamGet!.url, /^\/v1\/predictions\/rmock\d+\/stream$/)
  assert.equal(streamGet!.headers.accept, 'text/event-stream')
  assert.equal(streamGet!.headers.authorization, `Bearer ${KEY}`)
  assert.equal(metricsGet!.url, streamGet!.url.replace(/\/stream$/, ''))
  assert.equal(mock.requests.length, 3)

  // The SDK reads the same stream.
  const viaSdk = await client.chat.completions.create({ model: MODEL, messages: [user('again')], stream: true })
  let text = ''
  for await (const chunk of viaSdk) text += chunk.choices[0]?.delta.content ?? ''
  assert.equal(text, 'tok0 tok1 tok2 ')
})

test('a versioned model: POST /v1/predictions with {version, input}; no token counts, so the gateway counts', async (t) => {
  const { mock, client } = await setup(t, { promptTemplate: 'chatml' })
  const answer = await client.chat.completions.create({ model: 'acme/tiny-model:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa', messages: [user('hi')] })
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  // No token counts reached the client from Replicate; whatever usage it sees is the gateway's own count.
  assert.ok(answer.usage === null || answer.usage === undefined || answer.usage.completion_tokens > 0)
  assert.deepEqual(paths(mock), ['POST /v1/predictions'])
  assert.deepEqual(bodyOf(mock.requests[0]!), {
    version: '5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa',
    input: { prompt: '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n', prompt_template: '{prompt}' },
  })
  const stream = await client.chat.completions.create({ model: 'acme/tiny-model:abc', messages: [user('hi')], stream: true, stream_options: { include_usage: true } })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  assert.equal(text, 'tok0 tok1 tok2 ')
})

test('a client that leaves mid-stream cancels the prediction: POST urls.cancel within 1 s', async (t) => {
  const { mock, relay } = await setup(t, {}, { behaviour: { chunks: 50, chunkDelayMs: 100 } })
  const controller = new AbortController()
  const answer = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-token' },
    body: JSON.stringify({ model: MODEL, messages: [user('long one')], stream: true }),
    signal: controller.signal,
  })
  for await (const chunk of answer.body) {
    if ((chunk as Buffer).toString('utf8').includes('tok1')) break
  }
  const leftAt = performance.now()
  controller.abort()
  await eventually(() => mock.requests.some((entry) => entry.method === 'POST' && entry.url.endsWith('/cancel')), 1000)
  const cancel = mock.requests.find((entry) => entry.url.endsWith('/cancel'))!
  assert.ok(cancel.receivedAt - leftAt < 1000)
  assert.equal(cancel.headers.authorization, `Bearer ${KEY}`)
  // The prediction is canceled at the mock.
  const id = /\/v1\/predictions\/(rmock\d+)\/cancel$/.exec(cancel.url)![1]!
  const prediction = await request(`${mock.url}/v1/predictions/${id}`, { headers: { authorization: `Bearer ${KEY}` } })
  assert.equal(((await prediction.body.json()) as { status: string }).status, 'canceled')
})

test('a client that leaves before the create call answered: the prediction is canceled once its id is known', async (t) => {
  const { mock, relay } = await setup(t, {}, { behaviour: { chunks: 50, chunkDelayMs: 100 } })
  const controller = new AbortController()
  const pending = request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-token', 'x-mock-headers-delay-ms': '300' },
    body: JSON.stringify({ model: MODEL, messages: [user('long one')], stream: true }),
    signal: controller.signal,
  })
  await eventually(() => mock.requests.length === 1)
  controller.abort()
  await assert.rejects(pending)
  await eventually(() => mock.requests.some((entry) => entry.url.endsWith('/cancel')), 1500)
  // Nothing else was asked of the prediction: no stream was opened for a client that left.
  assert.deepEqual(mock.requests.map((entry) => entry.method), ['POST', 'POST'])
})

test('a plain answer that outlasts the upstream timeout: the polling stops and the prediction is canceled', async (t) => {
  const { mock, client } = await setup(t, { wait: 0, pollInterval: '50ms', timeout: '300ms' }, { behaviour: { chunks: 10, chunkDelayMs: 200 } })
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: [user('slow')] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 504)
  await eventually(() => mock.requests.some((entry) => entry.url.endsWith('/cancel')), 1000)
  const polls = mock.requests.filter((entry) => entry.method === 'GET').length
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal(mock.requests.filter((entry) => entry.method === 'GET').length, polls, 'no poll after the attempt ended')
})

test('urls.* off the Replicate host are not followed: the attempt fails and the key never reaches that host', async (t) => {
  const elsewhere = await startMock(t)
  const { mock, relay, client } = await setup(t, { wait: 0, pollInterval: '50ms' })
  const offHost = { 'x-mock-replicate-host': `localhost:${elsewhere.port}` }

  const stream = await rawStream(relay, {}, offHost)
  assert.equal(stream.status, 502)
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: [user('hi')] }, { headers: offHost }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 502)
  // Same host name, another port: another service, not followed either.
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: [user('hi')] }, { headers: { 'x-mock-replicate-host': `127.0.0.1:${elsewhere.port}` } }))

  assert.deepEqual(elsewhere.requests, [])
  // Only the create calls reached Replicate; nothing was followed, not even a cancel.
  assert.deepEqual(mock.requests.map((entry) => entry.method), ['POST', 'POST', 'POST'])
  assert.ok(relay.logs.some((line) => line.includes('urls.stream points to localhost') && line.includes('not followed')))
  assert.ok(relay.logs.some((line) => line.includes('urls.get points to 127.0.0.1')))
})

test('followHosts lets urls.* point to a listed host', async (t) => {
  const { mock, client } = await setup(t, { wait: 0, pollInterval: '50ms', followHosts: ['localhost'] })
  const answer = await client.chat.completions.create({ model: MODEL, messages: [user('hi')] }, { headers: { 'x-mock-replicate-host': `localhost:${mock.port}` } })
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.ok(mock.requests.some((entry) => entry.method === 'GET' && entry.headers.host === `localhost:${mock.port}`))
})

test('an error event mid-stream ends the client stream in an error, with no [DONE]', async (t) => {
  const { relay } = await setup(t)
  const stream = await rawStream(relay, {}, { 'x-mock-stream-error': 'true', 'x-mock-chunks': '4' })
  assert.equal(stream.status, 200)
  assert.ok(stream.text.includes('tok0 '), 'the text before the error reached the client')
  assert.ok(!stream.text.includes('[DONE]'))
  assert.match(stream.text, /data: \{"error":\{"message":"The mock prediction failed as its behaviour asked\.","type":"server_error","param":null,"code":"upstream_error"\}\}\n\n$/)
})

test('a failed prediction is an upstream failure: 502 alone, the next upstream when there is one', async (t) => {
  const { client } = await setup(t)
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: [user('hi')] }, { headers: { 'x-mock-stream-error': 'true' } }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 502)

  const replicate = await startMock(t, { behaviour: { streamError: true } })
  const openai = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ provider: 'replicate', url: replicate.url, keys: [KEY] }, { url: `${openai.url}/v1`, keys: ['sk-openai'] }] }] })
  const answer = await sdk(relay).chat.completions.create({ model: MODEL, messages: [user('hi')] })
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.equal(openai.requests.length, 1)
  assert.equal(replicate.requests.length, 1)
})

test('Replicate errors in OpenAI terms: 422 is a 400 with its detail, 429 keeps Retry-After, our key refused fails the attempt', async (t) => {
  const { client } = await setup(t)
  const failure = async (headers: Record<string, string>) => {
    try {
      await client.chat.completions.create({ model: MODEL, messages: [user('hi')] }, { headers })
    } catch (error) {
      if (error instanceof OpenAI.APIError) return error
      throw error
    }
    throw new Error('expected an error')
  }
  const invalid = await failure({ 'x-mock-status': '422' })
  assert.equal(invalid.status, 400)
  assert.equal(invalid.type, 'invalid_request_error')
  assert.equal(invalid.message, '400 The mock upstream answered 422 as its behaviour asked.')

  const limited = await failure({ 'x-mock-status': '429', 'x-mock-retry-after': '7' })
  assert.equal(limited.status, 429)
  assert.equal(limited.headers?.get('retry-after'), '7')

  const refused = await failure({ 'x-mock-status': '401' })
  assert.equal(refused.status, 502, 'our own key refused: the upstream failed, the client is not at fault')

  // Refused before any request: tools, n > 1, a stop sequence with a comma.
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: [user('hi')], stop: ['a,b'] }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 400 && error.param === 'stop')
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: [user('hi')], n: 2 }), (error: unknown) => error instanceof OpenAI.APIError && error.status === 400 && error.param === 'n')
})

test("openai-api-route's config with a type: replicate upstream: Mistral prompt, Token auth, max_new_tokens, allow naming Replicate models", async (t) => {
  const replicate = await startMock(t, { behaviour: { chunkDelayMs: 5 } })
  const openai = await startMock(t)
  const relay = await startRelay(
    t,
    `# openai-api-route config.yaml
authorization: tok-a
upstreams:
  - sk: r8-seed-key
    type: replicate
    endpoint: http://127.0.0.1:${replicate.port}/v1
    allow: ["mistralai/mixtral-8x7b-instruct-v0.1"]
  - sk: sk-openai
    endpoint: http://127.0.0.1:${openai.port}/v1
`,
  )
  assert.equal(relay.loaded.format, 'openai-api-route')
  const client = new OpenAI({ apiKey: 'tok-a', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const messages = [{ role: 'system' as const, content: 'You are terse.' }, user('Name a colour.'), { role: 'assistant' as const, content: 'Red.' }, user('Another.')]
  const answer = await client.chat.completions.create({ model: 'mistralai/mixtral-8x7b-instruct-v0.1', messages, max_tokens: 50 })
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.equal(answer.usage?.completion_tokens, 3)
  const create = replicate.requests[0]!
  assert.equal(create.url, '/v1/models/mistralai/mixtral-8x7b-instruct-v0.1/predictions')
  assert.equal(create.headers.authorization, 'Token r8-seed-key')
  assert.deepEqual(bodyOf(create), {
    input: { prompt: '<s> [INST] You are terse.\nName a colour. [/INST] Red. </s><s> [INST] Another. [/INST] ', prompt_template: '{prompt}', max_new_tokens: 50 },
  })

  const stream = await client.chat.completions.create({ model: 'mistralai/mixtral-8x7b-instruct-v0.1', messages, stream: true })
  let text = ''
  const indexes = new Set<number>()
  for await (const chunk of stream) {
    for (const choice of chunk.choices) indexes.add(choice.index)
    text += chunk.choices[0]?.delta.content ?? ''
  }
  assert.equal(text, 'tok0 tok1 tok2 ')
  assert.deepEqual([...indexes], [0])

  // Another model is not allowed on the replicate upstream: the OpenAI one serves it.
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [user('hi')] })
  assert.equal(openai.requests.length, 1)
  assert.ok(replicate.requests.every((entry) => entry.headers.authorization === 'Token r8-seed-key'))
})

// ---- the mock's predictions API, spoken to directly ----

async function call(mock: MockUpstream, method: 'GET' | 'POST', path: string, body?: object, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const answer = await request(`${mock.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body && { 'content-type': 'application/json' }), ...headers },
    ...(body && { body: JSON.stringify(body) }),
  })
  return { status: answer.statusCode, json: (await answer.body.json()) as Record<string, unknown> }
}

test('mock: predictions start, run on the clock, end succeeded with metrics (official) or without token counts (community)', async (t) => {
  const mock = await startMock(t, { behaviour: { chunkDelayMs: 30 } })
  const created = await call(mock, 'POST', '/v1/models/meta/llama/predictions', { input: { prompt: 'hello world!' } })
  assert.equal(created.status, 201)
  assert.equal(created.json.status, 'starting')
  assert.equal(created.json.output, null)
  const urls = created.json.urls as Record<string, string>
  const id = created.json.id as string
  assert.deepEqual([urls.get, urls.cancel, urls.stream], [`${mock.url}/v1/predictions/${id}`, `${mock.url}/v1/predictions/${id}/cancel`, `${mock.url}/v1/predictions/${id}/stream`])

  const waited = await call(mock, 'POST', '/v1/models/meta/llama/predictions', { input: { prompt: 'hello world!' } }, { prefer: 'wait' })
  assert.equal(waited.json.status, 'succeeded')
  assert.deepEqual(waited.json.output, ['tok0 ', 'tok1 ', 'tok2 '])
  assert.deepEqual({ ...(waited.json.metrics as object), predict_time: 0, total_time: 0 }, { predict_time: 0, total_time: 0, input_token_count: 3, output_token_count: 3 })
  const later = await call(mock, 'GET', `/v1/predictions/${id}`)
  assert.equal(later.json.status, 'succeeded')

  const community = await call(mock, 'POST', '/v1/predictions', { version: 'acme/tiny:abc', input: { prompt: 'hi' } }, { prefer: 'wait=5' })
  assert.deepEqual([community.json.status, community.json.model, community.json.version], ['succeeded', 'acme/tiny', 'abc'])
  assert.equal((community.json.metrics as Record<string, unknown>).output_token_count, undefined)
  // Prefer: wait=N is bounded by N seconds.
  const bounded = await call(mock, 'POST', '/v1/predictions', { version: 'abc', input: { prompt: 'hi' } }, { prefer: 'wait=1', 'x-mock-chunk-delay-ms': '2000' })
  assert.equal(bounded.json.status, 'starting')
  await call(mock, 'POST', `/v1/predictions/${bounded.json.id as string}/cancel`)
})

test('mock: refused as Replicate refuses, in RFC 7807 problems', async (t) => {
  const mock = await startMock(t)
  const noKey = await call(mock, 'POST', '/v1/models/a/b/predictions', { input: { prompt: 'hi' } }, { authorization: '' })
  assert.deepEqual([noKey.status, noKey.json.status, noKey.json.title], [401, 401, 'Unauthenticated'])
  const noPrompt = await call(mock, 'POST', '/v1/models/a/b/predictions', { input: {} })
  assert.deepEqual([noPrompt.status, noPrompt.json.detail], [422, '- input: prompt is required'])
  const noVersion = await call(mock, 'POST', '/v1/predictions', { input: { prompt: 'hi' } })
  assert.equal(noVersion.status, 422)
  assert.equal((await call(mock, 'GET', '/v1/predictions/nope')).status, 404)
  const asked = await call(mock, 'POST', '/v1/models/a/b/predictions', { input: { prompt: 'hi' } }, { 'x-mock-status': '429', 'x-mock-retry-after': '2' })
  assert.deepEqual([asked.status, asked.json.status], [429, 429])
})

test('mock: a stream canceled while it runs ends with done {"reason":"canceled"}; a stream error sends error then done {"reason":"error"}', async (t) => {
  const mock = await startMock(t, { behaviour: { chunks: 20, chunkDelayMs: 40 } })
  const created = await call(mock, 'POST', '/v1/models/a/b/predictions', { input: { prompt: 'hi' } })
  const urls = created.json.urls as Record<string, string>
  const stream = await request(urls.stream!, { headers: { authorization: `Bearer ${KEY}`, accept: 'text/event-stream' } })
  let text = ''
  let canceled = false
  for await (const chunk of stream.body) {
    text += (chunk as Buffer).toString('utf8')
    if (!canceled && text.includes('tok1 ')) {
      canceled = true
      await call(mock, 'POST', new URL(urls.cancel!).pathname)
    }
  }
  assert.match(text, /^event: output\nid: \d+:0\ndata: tok0 \n\n/)
  assert.ok(text.endsWith('event: done\ndata: {"reason":"canceled"}\n\n'), text.slice(-80))
  assert.ok(!text.includes('tok19'))
  assert.equal((await call(mock, 'GET', new URL(urls.get!).pathname)).json.status, 'canceled')

  const failing = await call(mock, 'POST', '/v1/models/a/b/predictions', { input: { prompt: 'hi' } }, { 'x-mock-stream-error': 'true', 'x-mock-chunks': '4', 'x-mock-chunk-delay-ms': '0' })
  const broken = await request((failing.json.urls as Record<string, string>).stream!, { headers: { authorization: `Bearer ${KEY}` } })
  assert.equal(
    await broken.body.text(),
    'event: output\nid: ' + String(Math.floor(Date.parse(failing.json.created_at as string) / 1000)) + ':0\ndata: tok0 \n\n' +
      'event: output\nid: ' + String(Math.floor(Date.parse(failing.json.created_at as string) / 1000)) + ':1\ndata: tok1 \n\n' +
      'event: error\ndata: {"detail":"The mock prediction failed as its behaviour asked."}\n\nevent: done\ndata: {"reason":"error"}\n\n',
  )
  const failed = await call(mock, 'GET', `/v1/predictions/${failing.json.id as string}`)
  assert.deepEqual([failed.json.status, failed.json.error], ['failed', 'The mock prediction failed as its behaviour asked.'])
})
