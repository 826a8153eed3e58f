import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import OpenAI from 'openai'
import { request } from 'undici'
import { metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 4, points 1-4 and 7 on the memory backend: when answers are cached, their key, replay as
// JSON or SSE, single flight, and the counts kept for metrics.

const messages = [{ role: 'user' as const, content: 'What is the capital of France?' }]

function sdk(url: string, apiKey = 'client-a') {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 })
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

async function post(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}, path = '/v1/chat/completions'): Promise<Answer> {
  const answer = await request(`${url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-a', ...headers },
  })
  return { status: answer.statusCode, headers: answer.headers, text: await answer.body.text() }
}

function route(mockUrl: string, cache: unknown) {
  return { routes: [{ path: '/', cache, upstreams: [{ url: mockUrl }] }] }
}

test('opt-in: caching true reads the cache and is never sent upstream; without it the answer is not read from cache', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, route(mock.url, 'opt-in'))
  const client = sdk(relay.url)
  const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }, { body: { model: 'gpt-4o-mini', messages, caching: true } }).withResponse()
  assert.equal(first.response.headers.get('x-relay-cache'), 'MISS')
  const upstreamBody = JSON.parse(mock.requests[0]!.body.toString('utf8')) as Record<string, unknown>
  assert.equal(Object.hasOwn(upstreamBody, 'caching'), false, 'the caching field never goes upstream')
  assert.deepEqual(upstreamBody.messages, messages)
  await relay.quiet()
  const second = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, ...({ caching: true } as object) }).withResponse()
  assert.equal(second.response.headers.get('x-relay-cache'), 'HIT')
  assert.match(second.response.headers.get('age') ?? '', /^\d+$/)
  assert.equal(second.data.id, first.data.id, 'the same answer, replayed')
  assert.equal(second.data.choices[0]!.message.content, first.data.choices[0]!.message.content)
  assert.deepEqual(second.data.usage, first.data.usage, 'the original usage')
  assert.equal(mock.requests.length, 1)
  // No flag on an opt-in route: not read (BYPASS), the upstream answers.
  const unasked = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse()
  assert.equal(unasked.response.headers.get('x-relay-cache'), 'BYPASS')
  assert.equal(mock.requests.length, 2)
  // The header asks too.
  const byHeader = await post(relay.url, { model: 'gpt-4o-mini', messages }, { 'x-relay-cache': 'true' })
  assert.equal(byHeader.headers['x-relay-cache'], 'HIT')
  assert.equal(mock.requests.length, 2)
  const bad = await post(relay.url, { model: 'gpt-4o-mini', messages, caching: 'yes' })
  assert.equal(bad.status, 400)
  assert.match(bad.text, /'caching' must be a boolean/)
})

test('a plain and a streamed request share one entry, either way round; tool calls survive; a streamed hit ends with [DONE]', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, route(mock.url, 'always'))
  const client = sdk(relay.url)
  // Streamed first: stored from the stream, replayed as a plain answer.
  const streamed = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })
  let text = ''
  for await (const chunk of streamed) text += chunk.choices[0]?.delta.content ?? ''
  await relay.quiet()
  const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse()
  assert.equal(plain.response.headers.get('x-relay-cache'), 'HIT')
  assert.equal(plain.data.choices[0]!.message.content, text)
  assert.equal(plain.data.choices[0]!.finish_reason, 'stop')
  assert.ok(plain.data.usage && plain.data.usage.total_tokens > 0, 'the stream was asked for its usage, so the entry has it')
  assert.equal(mock.requests.length, 1)

  // Tool calls: plain first, replayed as a stream the SDK reassembles.
  const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }]
  const called = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools, max_tokens: 20 })
  const call = called.choices[0]!.message.tool_calls![0]!
  await relay.quiet()
  const replayed = await post(relay.url, { model: 'gpt-4o-mini', messages, tools, max_tokens: 20, stream: true })
  assert.equal(replayed.headers['x-relay-cache'], 'HIT')
  assert.match(String(replayed.headers['content-type']), /text\/event-stream/)
  assert.match(replayed.text, /data: \[DONE\]\n\n$/)
  const runner = client.chat.completions.stream({ model: 'gpt-4o-mini', messages, tools, max_tokens: 20 })
  const final = await runner.finalChatCompletion()
  const replayedCall = final.choices[0]!.message.tool_calls![0]!
  assert.equal(replayedCall.type, 'function')
  assert.equal(replayedCall.id, call.id)
  assert.equal(replayedCall.type === 'function' && call.type === 'function' && replayedCall.function.name, call.type === 'function' && call.function.name)
  assert.equal(replayedCall.type === 'function' && replayedCall.function.arguments, call.type === 'function' && call.function.arguments)
  assert.equal(final.choices[0]!.finish_reason, 'tool_calls')
  assert.equal(mock.requests.length, 2)

  // The key ignores JSON key order and delivery fields, but not the fields that change the answer.
  const reordered = await post(relay.url, { messages, max_tokens: 20, tools, model: 'gpt-4o-mini', user: 'someone' })
  assert.equal(reordered.headers['x-relay-cache'], 'HIT')
  const warmer = await post(relay.url, { model: 'gpt-4o-mini', messages, temperature: 1.5 })
  assert.equal(warmer.headers['x-relay-cache'], 'MISS')
  // A streamed hit with include_usage gets the usage chunk.
  const withUsage = await post(relay.url, { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } })
  assert.equal(withUsage.headers['x-relay-cache'], 'HIT')
  assert.match(withUsage.text, /"choices":\[\],"usage":\{"prompt_tokens":\d+/)
})

test('Cache-Control no-cache skips the read, no-store the write; caching false skips the read on an always route', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, route(mock.url, 'always'))
  const body = { model: 'gpt-4o-mini', messages }
  assert.equal((await post(relay.url, body, { 'cache-control': 'no-store' })).headers['x-relay-cache'], 'MISS')
  await relay.quiet()
  assert.equal((await post(relay.url, body)).headers['x-relay-cache'], 'MISS', 'no-store kept nothing')
  await relay.quiet()
  assert.equal((await post(relay.url, body, { 'cache-control': 'no-cache' })).headers['x-relay-cache'], 'BYPASS')
  assert.equal((await post(relay.url, { ...body, caching: false })).headers['x-relay-cache'], 'BYPASS')
  assert.equal((await post(relay.url, body)).headers['x-relay-cache'], 'HIT')
  assert.equal(mock.requests.length, 4)
  assert.equal(await metricValue(relay.url, 'llm_relay_cache_requests_total', { status: 'HIT' }), 1)
  assert.equal(await metricValue(relay.url, 'llm_relay_cache_requests_total', { status: 'MISS' }), 2)
  assert.equal(await metricValue(relay.url, 'llm_relay_cache_requests_total', { status: 'BYPASS' }), 2)
  assert.ok((await metricValue(relay.url, 'llm_relay_cache_stored_bytes_total')) > 0)
})

test('errors, truncated and abandoned streams are never stored', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, route(mock.url, 'always'))
  const body = { model: 'gpt-4o-mini', messages }
  assert.equal((await post(relay.url, body, { 'x-mock-status': '400' })).status, 400)
  await relay.quiet()
  // The gateway ends a broken stream with an error event and a cut connection.
  await assert.rejects(post(relay.url, { ...body, stream: true }, { 'x-mock-fault': 'truncate' }))
  await relay.quiet()
  // A client that leaves mid-stream: the answer is cut upstream too, and not stored.
  const leaving = new AbortController()
  const slow = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ ...body, stream: true }),
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-a', 'x-mock-chunk-delay-ms': '50', 'x-mock-chunks': '20' },
    signal: leaving.signal,
  })
  for await (const chunk of slow.body) {
    assert.ok((chunk as Buffer).length > 0)
    leaving.abort()
    break
  }
  await mock.waitForAbort()
  await relay.quiet()
  const fine = await post(relay.url, body)
  assert.equal(fine.status, 200)
  assert.equal(fine.headers['x-relay-cache'], 'MISS', 'neither the error, the truncated nor the abandoned stream was stored')
})

test('entries are per client key unless the route shares them; embeddings and general routes are cached too', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    routes: [
      { path: '/shared', cache: { mode: 'always', scope: 'shared' }, upstreams: [{ url: mock.url }] },
      { path: '/raw', type: 'general', cache: 'always', upstreams: [{ url: mock.url }] },
      { path: '/', cache: 'always', upstreams: [{ url: mock.url }] },
    ],
  })
  const body = { model: 'gpt-4o-mini', messages }
  await post(relay.url, body, { authorization: 'Bearer client-a' })
  await relay.quiet()
  assert.equal((await post(relay.url, body, { authorization: 'Bearer client-b' })).headers['x-relay-cache'], 'MISS', 'no answer crosses to another key')
  assert.equal((await post(relay.url, body, { authorization: 'Bearer client-a' })).headers['x-relay-cache'], 'HIT')

  await post(relay.url, body, { authorization: 'Bearer client-a' }, '/shared/v1/chat/completions')
  await relay.quiet()
  assert.equal((await post(relay.url, body, { authorization: 'Bearer client-b' }, '/shared/v1/chat/completions')).headers['x-relay-cache'], 'HIT')

  const embed = { model: 'text-embedding-3-small', input: 'hello' }
  const first = await post(relay.url, embed, {}, '/v1/embeddings')
  await relay.quiet()
  const again = await post(relay.url, embed, {}, '/v1/embeddings')
  assert.equal(again.headers['x-relay-cache'], 'HIT')
  assert.equal(again.text, first.text, 'the raw answer bytes')

  const before = mock.requests.length
  const general = await post(relay.url, body, {}, '/raw/v1/chat/completions?x=1')
  await relay.quiet()
  const generalAgain = await post(relay.url, body, {}, '/raw/v1/chat/completions?x=1')
  assert.equal(generalAgain.headers['x-relay-cache'], 'HIT')
  assert.equal(generalAgain.text, general.text)
  assert.equal((await post(relay.url, body, {}, '/raw/v1/chat/completions?x=2')).headers['x-relay-cache'], 'MISS', 'another query is another request')
  assert.equal(mock.requests.length, before + 2)
})

test('single flight: 10 concurrent identical requests cause one upstream call; the others replay its answer', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, route(mock.url, 'always'))
  const body = { model: 'gpt-4o-mini', messages, mock: { headersDelayMs: 200 } }
  const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => post(relay.url, index % 2 === 0 ? body : { ...body, stream: true })))
  assert.equal(mock.requests.length, 1)
  assert.deepEqual(answers.map((answer) => answer.status), Array(10).fill(200))
  const statuses = answers.map((answer) => answer.headers['x-relay-cache']).sort()
  assert.deepEqual(statuses, ['HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'MISS'])
  assert.ok(answers.filter((answer) => answer.text.endsWith('data: [DONE]\n\n')).length === 5, 'streamed requests got streams')
})

test('TTL expiry and LRU eviction by bytes', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { cache: { maxBytes: 6000, maxEntryBytes: 3000 }, routes: [{ path: '/', cache: { mode: 'always', ttl: '1500ms' }, upstreams: [{ url: mock.url }] }] })
  // 200 chunks of text: each entry is about 1.3 kB.
  const ask = (content: string) => post(relay.url, { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }, { 'x-mock-chunks': '200' })
  await ask('one')
  await relay.quiet()
  const storedAt = Date.now()
  // (1.5 s of life leaves a busy machine time to ask again; the expiry is then waited for by the clock.)
  assert.equal((await ask('one')).headers['x-relay-cache'], 'HIT')
  await sleep(Math.max(0, storedAt + 1600 - Date.now()))
  assert.equal((await ask('one')).headers['x-relay-cache'], 'MISS', 'expired after its ttl')

  // About four entries fit in 6000 bytes: the later ones push the least recently used out.
  for (const content of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']) await ask(content)
  await relay.quiet()
  assert.equal((await ask('l')).headers['x-relay-cache'], 'HIT', 'the newest stays')
  assert.equal((await ask('a')).headers['x-relay-cache'], 'MISS', 'the oldest was evicted')
  assert.ok((await metricValue(relay.url, 'llm_relay_cache_evictions')) > 0)
})
