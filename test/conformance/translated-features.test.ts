import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import { estimatePromptTokens, loadTokenizer } from '../../src/limits/token-count.js'
import type { RequestRecord } from '../../src/records/record.js'
import { createRecordStore } from '../../src/storage/record-store.js'
import { allFinished, metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { startRelay, type TestRelay } from '../helpers/relay.js'
import { withinOneWindow } from '../helpers/windows.js'
import { checkOpenAIStream, joined } from './stream-check.js'

// Issue 14, point 6: everything else keeps working on translated traffic: failover across
// providers with a model map, the answer cache, token quotas settled with translated usage, records
// naming provider and upstream model, and no provider key anywhere.

await loadTokenizer()

const messages = [{ role: 'user' as const, content: 'Say hello through another provider.' }]


async function records(relay: TestRelay, count: number): Promise<RequestRecord[]> {
  const store = createRecordStore({ backend: 'sqlite', path: join(relay.dir, 'data', 'records.sqlite') })
  try {
    let found: RequestRecord[] = []
    for (let tries = 0; tries < 600 && found.length < count; tries++) {
      found = await store.query({})
      if (found.length < count) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return found
  } finally {
    await store.close()
  }
}

test('failover from an OpenAI upstream to an Anthropic one with a model map: the same request, the client\'s model named, the record says which provider and model', async (t) => {
  const [openaiMock, anthropicMock] = await Promise.all([startMock(t, { behaviour: { status: 503 } }), startMock(t)])
  const relay = await startRelay(t, {
    records: { flushInterval: '50ms' },
    routes: [
      {
        path: '/',
        upstreams: [
          { name: 'primary', url: openaiMock.url, keys: ['sk-openai-failover'] },
          { name: 'claude', provider: 'anthropic', url: anthropicMock.url, keys: ['sk-ant-failover'], models: { map: { 'gpt-4o': 'claude-sonnet-4-5' } } },
        ],
      },
    ],
  })
  const client = new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const answer = await client.chat.completions.create({ model: 'gpt-4o', messages })
  assert.equal(answer.model, 'gpt-4o')
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 ')
  assert.equal(JSON.parse(openaiMock.requests[0]!.body.toString()).model, 'gpt-4o')
  const native = JSON.parse(anthropicMock.requests[0]!.body.toString()) as { model: string; messages: unknown[] }
  assert.equal(native.model, 'claude-sonnet-4-5')
  assert.equal(anthropicMock.requests[0]!.url, '/v1/messages')
  const [record] = await records(relay, 1)
  assert.equal(record?.upstream, 'claude')
  assert.equal(record?.provider, 'anthropic')
  assert.equal(record?.upstreamModel, 'claude-sonnet-4-5')
  assert.equal(record?.model, 'gpt-4o')
  assert.deepEqual(record?.attempts.map((attempt) => [attempt.upstream, attempt.status]), [['primary', 503], ['claude', 200]])
  assert.equal(record?.totalTokens, answer.usage?.total_tokens)
  assert.equal(record?.tokensSource, 'upstream')
  // Metrics count the translated request like any other, with the usage Anthropic reported.
  assert.equal(await metricValue(relay.url, 'llm_relay_requests_total', { route: '/', upstream: 'claude', model: 'gpt-4o', status: '200' }), 1)
  assert.equal(await metricValue(relay.url, 'llm_relay_upstream_failures_total', { upstream: 'primary', reason: '503' }), 1)
})

test('a client error from the Anthropic upstream is not failed over: it comes back as a 400 in OpenAI\'s shape', async (t) => {
  const [anthropicMock, openaiMock] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(t, {
    routes: [{ path: '/', upstreams: [{ provider: 'anthropic', url: anthropicMock.url, keys: ['sk-ant-400'] }, { url: openaiMock.url, keys: ['sk-openai-400'] }] }],
  })
  const client = new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const error = await client.chat.completions.create({ model: 'claude-x', messages }, { headers: { 'x-mock-status': '400' } }).catch((caught: unknown) => caught)
  assert.ok(error instanceof OpenAI.BadRequestError, String(error))
  assert.equal(error.type, 'invalid_request_error')
  assert.equal(openaiMock.requests.length, 0, 'a client error is not the upstream\'s fault')
})

test('a translated answer is cached and replayed plain and streamed, in OpenAI\'s shapes, without asking the upstream again', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', cache: 'always', upstreams: [{ provider: 'anthropic', url: mock.url, keys: ['sk-ant-cache'] }] }] })
  const client = new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }]
  const { data: first, response } = await client.chat.completions.create({ model: 'claude-x', messages, tools }, { headers: { 'x-mock-reasoning': 'true' } }).withResponse()
  assert.equal(response.headers.get('x-relay-cache'), 'MISS')
  await allFinished(relay.url)
  const { data: again, response: hit } = await client.chat.completions.create({ model: 'claude-x', messages, tools }).withResponse()
  assert.equal(hit.headers.get('x-relay-cache'), 'HIT')
  assert.deepEqual(again.choices, first.choices)
  assert.deepEqual(again.usage, first.usage)
  assert.match(again.id, /^chatcmpl-/)
  const streamed = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    // The same client: entries are kept per client key.
    headers: { 'content-type': 'application/json', authorization: 'Bearer client' },
    body: JSON.stringify({ model: 'claude-x', messages, tools, stream: true, stream_options: { include_usage: true } }),
  })
  assert.equal(streamed.headers['x-relay-cache'], 'HIT')
  const chunks = checkOpenAIStream(await streamed.body.text(), { withUsage: true, model: 'claude-x' })
  const { calls, finish, reasoning } = joined(chunks)
  assert.equal(finish, 'tool_calls')
  assert.deepEqual(calls, first.choices[0]!.message.tool_calls!.map((call) => ({ id: call.id, name: call.type === 'function' ? call.function.name : '', arguments: call.type === 'function' ? call.function.arguments : '' })))
  assert.equal(reasoning, 'Let me think. The answer is tokens. ')
  assert.equal(mock.requests.length, 1)
})

test('token quotas are settled with the translated usage (streamed too, where Anthropic reports it in its own events)', async (t) => {
  await withinOneWindow()
  const mock = await startMock(t)
  const relay = await startRelay(t, { limits: { tokens: [{ limit: '100000/minute' }] }, routes: [{ path: '/', upstreams: [{ provider: 'anthropic', url: mock.url, keys: ['sk-ant-quota'] }] }] })
  const estimate = estimatePromptTokens({ messages })
  const chat = async (stream: boolean, maxTokens: number) => {
    const answer = await request(`${relay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-a' },
      body: JSON.stringify({ model: 'claude-x', messages, stream, max_tokens: maxTokens, ...(stream && { stream_options: { include_usage: true } }) }),
    })
    const text = await answer.body.text()
    const usage = stream ? checkOpenAIStream(text, { withUsage: true, model: 'claude-x' }).at(-1)!.usage : (JSON.parse(text) as { usage: Record<string, unknown> }).usage
    return { remaining: Number(answer.headers['x-ratelimit-remaining-tokens']), used: usage!.total_tokens as number }
  }
  const first = await chat(false, 100)
  assert.equal(first.remaining, 100_000 - (estimate + 100))
  await allFinished(relay.url)
  const second = await chat(true, 50)
  assert.equal(second.remaining, 100_000 - first.used - (estimate + 50), 'the first request cost its translated usage')
  await allFinished(relay.url)
  const third = await chat(false, 10)
  assert.equal(third.remaining, 100_000 - first.used - second.used - (estimate + 10), 'the streamed one too')
})

test('secrets canary: provider keys appear in no answer, header, log, record or metric, and only in the header their provider expects', async (t) => {
  const keys = { anthropic: 'sk-ant-CANARY-3f9a', azure: 'azure-CANARY-77c1', openai: 'sk-openai-CANARY-0d2e' }
  const [mock, failing] = await Promise.all([startMock(t), startMock(t, { behaviour: { status: 401 } })])
  const relay = await startRelay(
    t,
    {
      records: { level: 'full', headers: true, flushInterval: '50ms' },
      routes: [
        { path: '/claude', upstreams: [{ provider: 'anthropic', url: failing.url, keys: [keys.anthropic] }, { provider: 'anthropic', url: mock.url, keys: [keys.anthropic] }] },
        { path: '/azure', upstreams: [{ provider: 'azure', url: mock.url, keys: [keys.azure], apiVersion: '2024-10-21' }] },
        { path: '/', upstreams: [{ url: mock.url, keys: [keys.openai] }] },
      ],
    },
    { logLevel: 'debug' },
  )
  const outputs: string[] = []
  for (const prefix of ['/claude', '/azure', '']) {
    const client = new OpenAI({ apiKey: 'client-canary', baseURL: `${relay.url}${prefix}/v1`, maxRetries: 0 })
    const answer = await client.chat.completions.create({ model: 'm', messages }).withResponse()
    outputs.push(JSON.stringify(answer.data), JSON.stringify([...answer.response.headers]))
    const broken = await client.chat.completions.create({ model: 'm', messages }, { headers: { 'x-mock-status': '400' } }).catch((error: unknown) => error)
    outputs.push(JSON.stringify(broken))
    const stream = await request(`${relay.url}${prefix}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mock-stream-error': 'true' }, body: JSON.stringify({ model: 'm', messages, stream: true }) })
    outputs.push(await stream.body.text().catch(() => ''))
  }
  await allFinished(relay.url)
  await records(relay, 9)
  await relay.shutdown()
  outputs.push(relay.logs.join('\n'))
  outputs.push(await (await request(`${mock.url}/healthz`)).body.text())
  for (const file of readdirSync(join(relay.dir, 'data'))) outputs.push(readFileSync(join(relay.dir, 'data', file)).toString('latin1'))
  const everything = outputs.join('\n')
  for (const [provider, key] of Object.entries(keys)) assert.ok(!everything.includes(key), `${provider}'s key leaked`)
  // Each key went upstream only in its provider's header, never in a URL or a body.
  const sent = [...mock.requests, ...failing.requests]
  for (const received of sent) {
    assert.ok(!Object.values(keys).some((key) => received.url.includes(key) || received.body.toString().includes(key)))
  }
  assert.ok(sent.some((received) => received.headers['x-api-key'] === keys.anthropic && received.headers.authorization === undefined))
  assert.ok(sent.some((received) => received.headers['api-key'] === keys.azure && received.headers.authorization === undefined))
  assert.ok(sent.some((received) => received.headers.authorization === `Bearer ${keys.openai}`))
})
