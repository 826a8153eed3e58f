import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import OpenAI from 'openai'
import { Agent, request } from 'undici'
import type { ConfigInput } from '../../src/config/schema.js'
import { metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js'
import { withinOneWindow } from '../helpers/windows.js'

// Issue 2, point 2: editing the config file (or SIGHUP) reloads it; requests in flight finish on the old
// config; a broken new config is refused with a log line and the old one stays.

interface LogEntry {
  level: number
  msg: string
  reason?: string
  problem?: string
}

function entries(relay: TestRelay): LogEntry[] {
  return relay.logs.map((line) => JSON.parse(line) as LogEntry)
}

function chat(client: OpenAI) {
  return client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
}

const oneRoute = (url: string, key = 'sk-old'): ConfigInput => ({ routes: [{ path: '/', upstreams: [{ name: 'main', url, keys: [key] }] }] })

test('editing the config file reloads it: a new upstream and a new route take effect', async (t) => {
  const [before, after, extra] = await Promise.all([startMock(t), startMock(t), startMock(t)])
  const relay = await startRelay(t, oneRoute(before.url))
  const client = new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  await chat(client)
  assert.equal(before.requests.length, 1)
  const missing = await request(`${relay.url}/extra/v1/models`)
  assert.equal(missing.statusCode, 200, 'before the edit /extra falls under the / route')
  await missing.body.dump()
  assert.equal(before.requests.at(-1)!.url, '/extra/v1/models')

  relay.writeConfig({
    routes: [
      { path: '/', upstreams: [{ name: 'main', url: after.url, keys: ['sk-new'] }] },
      { path: '/extra', upstreams: [{ name: 'extra', url: extra.url }] },
    ],
  })
  await eventually(() => relay.holder.current.config.routes.length === 2)
  assert.ok(entries(relay).some((entry) => entry.msg === 'config reloaded' && entry.reason === 'file changed'))

  await chat(client)
  assert.equal(before.requests.length, 2)
  assert.deepEqual(
    after.requests.map((entry) => entry.headers.authorization),
    ['Bearer sk-new'],
  )
  const models = await new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/extra/v1`, maxRetries: 0 }).models.list()
  assert.ok(models.data.length > 0)
  assert.equal(extra.requests[0]!.url, '/v1/models')
})

test('SIGHUP and reloader.reload() reload at once, without waiting for the file watch', async (t) => {
  const [first, second, third] = await Promise.all([startMock(t), startMock(t), startMock(t)])
  const relay = await startRelay(t, oneRoute(first.url))
  const client = new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 })

  relay.writeConfig(oneRoute(second.url))
  // Synchronous: the new runtime is in place before the watcher's debounce could fire.
  assert.equal(relay.reloader.reload('x'), true)
  assert.equal(relay.holder.current.config.routes[0]!.upstreams[0]!.url, second.url)
  assert.ok((await metricValue(relay.url, 'llm_relay_config_reloads_total', { result: 'applied' })) >= 1)
  assert.ok(entries(relay).some((entry) => entry.msg === 'config reloaded' && entry.reason === 'x'))
  await chat(client)
  assert.equal(second.requests.length, 1)

  relay.writeConfig(oneRoute(third.url))
  process.kill(process.pid, 'SIGHUP')
  await eventually(() => entries(relay).some((entry) => entry.msg === 'config reloaded' && entry.reason === 'SIGHUP'))
  await eventually(() => relay.holder.current.config.routes[0]!.upstreams[0]!.url === third.url)
  await chat(client)
  assert.equal(third.requests.length, 1)
  assert.equal(first.requests.length, 0)
})

test('a broken new config is refused with a log line; the old config keeps serving', async (t) => {
  const [mock, unused] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(t, oneRoute(mock.url), { failOnErrorLogs: false })
  const client = new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const runtime = relay.holder.current

  // Invalid per the schema (and it names a key that must not be echoed).
  relay.writeConfig(`routes:\n  - path: /\n    upstreams:\n      - url: not-a-url\n        keys: sk-broken-secret\n`)
  await eventually(() => entries(relay).some((entry) => entry.msg.includes('config reload refused')))
  const refused = entries(relay).find((entry) => entry.msg.includes('config reload refused'))!
  assert.equal(refused.level, 50)
  assert.match(refused.problem ?? '', /routes\.0\.upstreams\.0\.url: expected an http/)
  assert.ok(!relay.logs.join('\n').includes('sk-broken-secret'), 'the refused config must not be logged with its key')
  assert.equal(relay.holder.current, runtime, 'the running config stays')
  await chat(client)
  assert.equal(mock.requests.length, 1)
  assert.equal(mock.requests[0]!.headers.authorization, 'Bearer sk-old')

  // Not YAML at all: refused too. reload() says so.
  relay.writeConfig('routes: [ {path: /, upstreams: [')
  assert.equal(relay.reloader.reload('test'), false)
  assert.equal(relay.holder.current, runtime)
  await chat(client)
  assert.equal(mock.requests.length, 2)
  // Both refusals are counted (the file watch may have tried the first one more than once).
  assert.ok((await metricValue(relay.url, 'llm_relay_config_reloads_total', { result: 'refused' })) >= 2)
  assert.equal(await metricValue(relay.url, 'llm_relay_config_reloads_total', { result: 'applied' }), 0)

  // Fixed again: taken.
  relay.writeConfig(oneRoute(mock.url, 'sk-fixed'))
  assert.equal(relay.reloader.reload('test'), true)
  await chat(client)
  assert.equal(mock.requests.at(-1)!.headers.authorization, 'Bearer sk-fixed')
  assert.equal(unused.requests.length, 0)
})

test('a request in flight finishes on the old config while new requests use the new one', async (t) => {
  const [old, next] = await Promise.all([startMock(t, { behaviour: { chunks: 12, chunkDelayMs: 60 } }), startMock(t)])
  const relay = await startRelay(t, oneRoute(old.url))
  const agent = new Agent()
  t.after(() => agent.close())

  const streaming = await request(`${relay.url}/v1/chat/completions`, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [] }),
  })
  assert.equal(streaming.statusCode, 200)
  const chunks: string[] = []
  const done = (async () => {
    for await (const chunk of streaming.body) chunks.push(String(chunk))
  })()
  await eventually(() => chunks.length > 0)

  // Another upstream, and a different connect timeout so the upstream pool itself is replaced.
  relay.writeConfig({ timeouts: { connect: '3s' }, routes: [{ path: '/', upstreams: [{ name: 'main', url: next.url, keys: ['sk-next'] }] }] })
  assert.equal(relay.reloader.reload('test'), true)
  const fresh = await chat(new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 }))
  assert.equal(fresh.object, 'chat.completion')
  assert.equal(next.requests.length, 1)
  assert.ok(!chunks.join('').includes('[DONE]'), 'the old stream was still running when the new request was answered')

  await done
  const text = chunks.join('')
  assert.match(text, /data: \[DONE\]\n\n$/)
  const contentEvents = text.split('\n\n').filter((event) => event.includes('"content"'))
  // Role chunk + 12 content chunks, all from the old upstream.
  assert.equal(contentEvents.length, 13)
  assert.equal(old.requests.length, 1)
  assert.equal(old.requests[0]!.headers.authorization, 'Bearer sk-old')
  assert.equal(old.aborted(), 0)
})

test('issue 14: a reload whose runtime cannot be built leaves the running config on open stores (counters and cache kept)', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    limits: { requests: [{ limit: '3/hour', per: 'global' }] },
    routes: [{ path: '/', cache: 'always', upstreams: [{ name: 'main', url: mock.url, keys: ['sk-old'] }] }],
  }, { failOnErrorLogs: false })
  const client = new OpenAI({ apiKey: 'client', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  await withinOneWindow(3_600_000, 10_000)
  await chat(client)
  await chat(client)
  assert.equal(mock.requests.length, 1, 'the second request was a cache hit')
  const runtime = relay.holder.current

  // Valid by the schema, but not buildable: a new counter store is opened first (another backend
  // spelling), then the SQLite cache cannot open its file (its folder would be inside a plain file).
  // Nothing of the running config may be closed.
  writeFileSync(join(relay.dir, 'blocker'), 'a file, not a folder')
  relay.writeConfig({
    limits: { backend: 'memory://', requests: [{ limit: '3/hour', per: 'global' }] },
    cache: { backend: 'sqlite', path: join(relay.dir, 'blocker', 'cache.sqlite') },
    routes: [{ path: '/', cache: 'always', upstreams: [{ name: 'main', url: mock.url, keys: ['sk-old'] }] }],
  })
  assert.equal(relay.reloader.reload('test'), false)
  assert.equal(relay.holder.current, runtime, 'the running config stays')
  assert.match(entries(relay).find((entry) => entry.msg.includes('config reload refused'))?.problem ?? '', /ENOTDIR|EEXIST|not a directory/i)

  await chat(client)
  assert.equal(mock.requests.length, 1, 'the cache store is still open: a third hit')
  await assert.rejects(chat(client), (error: { status?: number }) => error.status === 429, 'the counters still count: the fourth request is over 3/hour')
})
