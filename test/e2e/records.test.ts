import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import OpenAI from 'openai'
import { request } from 'undici'
import type { RequestRecord } from '../../src/records/record.js'
import { createRecordStore } from '../../src/storage/record-store.js'
import type { RecordQuery } from '../../src/storage/types.js'
import { metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js'
import { databaseUrl } from '../helpers/services.js'

// Issue 5, points 1 and 2 through the gateway: a record per request in SQLite (default) or
// PostgreSQL, content only at level full, secrets never stored, a database in trouble never felt.

const messages = [{ role: 'user' as const, content: 'Record this, please.' }]

/** Reads the gateway's SQLite records (written in batches: polls until `count` are there). */
async function sqliteRecords(relay: TestRelay, count: number, query: RecordQuery = {}): Promise<RequestRecord[]> {
  const store = createRecordStore({ backend: 'sqlite', path: join(relay.dir, 'data', 'records.sqlite') })
  try {
    const deadline = Date.now() + 30_000
    for (;;) {
      const found = await store.query(query)
      if (found.length >= count || Date.now() > deadline) return found
      await sleep(50)
    }
  } finally {
    await store.close()
  }
}

function sdk(url: string, apiKey = 'client-token-secret-1') {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 })
}

test('a record per request at level meta: who, what, where, how long, tokens; no content, no token, no query', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    access: { clientTokens: ['client-token-secret-1'] },
    records: { flushInterval: '50ms' },
    routes: [{ path: '/', upstreams: [{ name: 'primary', url: mock.url, keys: ['sk-upstream-secret-1'] }] }],
  })
  const client = sdk(relay.url)
  const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { query: { key: 'query-secret-1' } })
  for await (const chunk of stream) assert.ok(chunk)
  const records = await sqliteRecords(relay, 2)
  assert.equal(records.length, 2)
  const [streamed, first] = records as [RequestRecord, RequestRecord]
  assert.equal(first.id.length > 0, true)
  assert.equal(first.route, '/')
  assert.equal(first.method, 'POST')
  assert.equal(first.path, '/v1/chat/completions')
  assert.equal(first.model, 'gpt-4o-mini')
  assert.equal(first.status, 200)
  assert.equal(first.upstream, 'primary')
  assert.equal(first.stream, false)
  assert.equal(first.level, 'meta')
  assert.equal(first.content, undefined)
  assert.match(first.clientId ?? '', /^client-token:/)
  assert.doesNotMatch(first.clientId ?? '', /secret/)
  assert.equal(first.clientIp, '127.0.0.1')
  assert.match(first.userAgent ?? '', /OpenAI/)
  assert.deepEqual(first.attempts.map((attempt) => [attempt.upstream, attempt.status]), [['primary', 200]])
  assert.equal(first.totalTokens, plain.usage?.total_tokens)
  assert.equal(first.tokensSource, 'upstream')
  assert.ok(first.totalMs >= (first.headersMs ?? 0) && (first.headersMs ?? -1) >= 0)
  assert.ok(Math.abs(first.time - Date.now()) < 10_000)

  assert.equal(streamed.stream, true)
  assert.equal(streamed.path, '/v1/chat/completions', 'the query (which may hold a key) is never kept')
  assert.equal(streamed.tokensSource, 'upstream', 'the stream was asked for its usage')
  assert.ok((streamed.completionTokens ?? 0) > 0)
  assert.ok(streamed.firstByteMs !== undefined && streamed.firstByteMs >= (streamed.headersMs ?? 0))
})

test('failed-over and failed requests are recorded with every attempt; level full keeps content and redacted headers', async (t) => {
  const [broken, healthy] = await Promise.all([startMock(t, { behaviour: { status: 500 } }), startMock(t)])
  const relay = await startRelay(t, {
    records: { flushInterval: '50ms', headers: true },
    routes: [
      { path: '/full', records: 'full', upstreams: [{ name: 'healthy', url: healthy.url }] },
      { path: '/quiet', records: 'none', upstreams: [{ name: 'healthy', url: healthy.url }] },
      { path: '/', upstreams: [{ name: 'broken', url: broken.url }, { name: 'healthy', url: healthy.url }] },
    ],
  })
  await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages })
  const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }]
  const full = new OpenAI({ apiKey: 'sk-client-secret-2', baseURL: `${relay.url}/full/v1`, maxRetries: 0, defaultHeaders: { 'x-api-key': 'x-api-secret-2', cookie: 'session=cookie-secret-2' } })
  await full.chat.completions.create({ model: 'gpt-4o-mini', messages })
  const streamed = full.chat.completions.stream({ model: 'gpt-4o-mini', messages, tools })
  await streamed.finalChatCompletion()
  await sdk(`${relay.url}/quiet`).chat.completions.create({ model: 'gpt-4o-mini', messages })
  await assert.rejects(sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages }, { headers: { 'x-mock-status': '503' } }))

  const records = await sqliteRecords(relay, 4)
  assert.equal(records.length, 4, 'the route at level none left no record')
  const [failed, toolCall, text, failedOver] = records as [RequestRecord, RequestRecord, RequestRecord, RequestRecord]
  assert.deepEqual(failedOver.attempts.map((attempt) => [attempt.upstream, attempt.status]), [['broken', 500], ['healthy', 200]])
  assert.equal(failedOver.upstream, 'healthy')
  // Every upstream overloaded (503): the client is told so (RELAY_ERR_UPSTREAM_OVERLOADED), not a generic 502.
  assert.equal(failed.status, 503)
  assert.match(failed.error ?? '', /All 2 upstream attempts failed/)
  // The per-request x-mock-status overrides both mocks' own behaviour.
  assert.deepEqual(failed.attempts.map((attempt) => [attempt.upstream, attempt.status]), [['broken', 503], ['healthy', 503]])

  assert.equal(text.level, 'full')
  assert.deepEqual((text.content?.request as { messages: unknown }).messages, messages)
  assert.match(text.content?.response ?? '', /tok0/)
  assert.equal(text.content?.headers?.authorization, '[redacted]')
  assert.equal(text.content?.headers?.['x-api-key'], '[redacted]')
  assert.equal(text.content?.headers?.cookie, '[redacted]')
  const calls = toolCall.content?.toolCalls as Array<{ function: { name: string } }>
  assert.equal(calls[0]?.function.name, 'lookup')
  assert.equal(toolCall.stream, true)
})

test('secrets canary: no client token, upstream key or secret header anywhere in the SQLite file or its WAL', async (t) => {
  const mock = await startMock(t)
  const canaries = ['canary-client-token-77', 'sk-canary-upstream-77', 'canary-header-77', 'canary-query-77', 'fk-canary-forward-77']
  const relay = await startRelay(t, {
    access: { clientTokens: [canaries[0]!], forwardKeys: [{ key: canaries[4]!, level: 0 }] },
    records: { flushInterval: '50ms', level: 'full', headers: true },
    routes: [{ path: '/', upstreams: [{ url: mock.url, keys: [canaries[1]!] }] }],
  })
  for (const token of [canaries[0]!, canaries[4]!]) {
    const answer = await request(`${relay.url}/v1/chat/completions?key=${canaries[3]}`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-goog-api-key': canaries[2]! },
    })
    assert.equal(answer.statusCode, 200)
    await answer.body.dump()
  }
  assert.equal((await sqliteRecords(relay, 2)).length, 2)
  const dataDir = join(relay.dir, 'data')
  const files = readdirSync(dataDir).filter((name) => name.startsWith('records.sqlite'))
  assert.ok(files.includes('records.sqlite'))
  for (const name of files) {
    const bytes = readFileSync(join(dataDir, name))
    for (const canary of canaries) assert.equal(bytes.includes(canary), false, `${canary} found in ${name}`)
  }
})

test('SIGTERM writes every pending record; a dead database never slows requests and is counted', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { records: { flushInterval: '1h' }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  for (let index = 0; index < 5; index++) await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages })
  await relay.shutdown()
  const store = createRecordStore({ backend: 'sqlite', path: join(relay.dir, 'data', 'records.sqlite') })
  assert.equal((await store.query({})).length, 5, 'all five written at shutdown, though the batch window is an hour')
  await store.close()

  const down = await startRelay(
    t,
    { records: { backend: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', flushInterval: '50ms' }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] },
    { failOnErrorLogs: false },
  )
  const started = Date.now()
  for (let index = 0; index < 20; index++) await sdk(down.url).chat.completions.create({ model: 'gpt-4o-mini', messages })
  assert.ok(Date.now() - started < 5000, 'requests are not held up by the database')
  // Each 50 ms the writer tries once and drops what failed twice: wait until all 20 are dropped, many batches later.
  let dropped = 0
  const deadline = Date.now() + 30_000
  while ((dropped = await metricValue(down.url, 'llm_relay_records_dropped')) < 20 && Date.now() < deadline) await sleep(50)
  assert.equal(dropped, 20)
  const lines = down.logs.filter((line) => line.includes('request records cannot be written'))
  assert.equal(lines.length, 1, 'logged once, not per batch')
  assert.equal((await sdk(down.url).chat.completions.create({ model: 'gpt-4o-mini', messages })).object, 'chat.completion')

  // A reload that replaces the writer (records off, then on again) keeps the drops counted.
  down.writeConfig({ records: { backend: 'none' }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  await eventually(() => down.holder.current.records === undefined)
  down.writeConfig({ records: { flushInterval: '50ms' }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  await eventually(() => down.holder.current.records !== undefined)
  // The request sent after the reading above may be dropped too, when the old writer closes.
  assert.ok((await metricValue(down.url, 'llm_relay_records_dropped')) >= dropped, 'not reset by the reloads')
})

test('records in PostgreSQL', async (t) => {
  const url = await databaseUrl(t)
  if (url === undefined) return
  const mock = await startMock(t)
  const route = `/pg-${randomUUID().slice(0, 8)}`
  const relay = await startRelay(t, { records: { backend: 'postgres', url, flushInterval: '50ms' }, routes: [{ path: route, upstreams: [{ name: 'pg-mock', url: mock.url }] }] })
  await sdk(`${relay.url}${route}`).chat.completions.create({ model: 'gpt-4o-mini', messages })
  const store = createRecordStore({ backend: 'postgres', url })
  t.after(() => store.close())
  let found: RequestRecord[] = []
  const deadline = Date.now() + 30_000
  while (found.length === 0 && Date.now() < deadline) {
    found = await store.query({ route })
    if (found.length === 0) await sleep(50)
  }
  assert.equal(found.length, 1)
  assert.equal(found[0]!.upstream, 'pg-mock')
  assert.equal(found[0]!.status, 200)
  assert.ok(!existsSync(join(relay.dir, 'data', 'records.sqlite')), 'no SQLite file when records go to PostgreSQL')
})

test('a cache hit is recorded as one: cache HIT, no upstream, the original usage', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { records: { flushInterval: '50ms' }, routes: [{ path: '/', cache: 'always', upstreams: [{ name: 'origin', url: mock.url }] }] })
  const first = await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages })
  await relay.quiet()
  const again = await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages })
  assert.equal(again.id, first.id)
  const [hit, miss] = (await sqliteRecords(relay, 2)) as [RequestRecord, RequestRecord]
  assert.deepEqual([miss.cache, miss.upstream], ['MISS', 'origin'])
  assert.equal(hit.cache, 'HIT')
  assert.equal(hit.upstream, undefined, 'no upstream was asked')
  assert.deepEqual(hit.attempts, [])
  assert.equal(hit.totalTokens, first.usage?.total_tokens, "the original answer's usage")
  assert.equal(mock.requests.length, 1)
})
