import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import type { NoticeDispatcher } from '../../src/notify/index.js'
import { startMock } from '../helpers/mock.js'
import { eventually, startRelay } from '../helpers/relay.js'

// Issue 5, point 5 through the gateway: a request that finally fails and an upstream that goes into
// cooldown are posted to Feishu and Matrix (local receivers), deduped, never with a key.

interface Received {
  method: string
  url: string
  authorization: string | undefined
  body: Record<string, unknown>
}

/** A local receiver for notices: records what arrives and answers as Feishu and Matrix do. */
async function startReceiver(t: TestContext): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((request: IncomingMessage, response) => {
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (text += chunk))
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization, body: JSON.parse(text) as Record<string, unknown> })
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(request.url?.startsWith('/_matrix') ? '{"event_id":"$1"}' : '{"code":0,"msg":"success"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

test('a finally failed request and an upstream in cooldown reach Feishu and Matrix, deduped, without keys', async (t) => {
  const receiver = await startReceiver(t)
  const mock = await startMock(t, { behaviour: { status: 500 } })
  const relay = await startRelay(
    t,
    {
      notify: { feishu: { webhook: `${receiver.url}/feishu/hook` }, matrix: { homeserver: receiver.url, roomId: '!ops:example.org', accessToken: 'matrix-token-secret' } },
      failover: { cooldown: { failures: 2 } },
      routes: [{ path: '/', upstreams: [{ name: 'flaky', url: mock.url, keys: ['sk-upstream-secret-9'] }] }],
    },
    { failOnErrorLogs: false },
  )
  const client = new OpenAI({ apiKey: 'client-key', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  for (let index = 0; index < 3; index++) {
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }))
  }
  // One failure notice (the other two are the same: deduped) and one cooldown notice, to each receiver.
  // Every notice is given to the dispatcher by the finish of its request; then its sends are awaited.
  await relay.quiet()
  await (relay.holder.current.notices as NoticeDispatcher).idle()
  const feishu = receiver.received.filter((entry) => entry.url === '/feishu/hook')
  const matrix = receiver.received.filter((entry) => entry.url.startsWith('/_matrix/client/v3/rooms/'))
  assert.equal(feishu.length, 2, JSON.stringify(feishu))
  assert.equal(matrix.length, 2)
  assert.equal(feishu[0]!.body.msg_type, 'text')
  const texts = feishu.map((entry) => (entry.body.content as { text: string }).text)
  const failed = texts.find((text) => text.startsWith('[llm-relay] Request failed'))!
  assert.match(failed, /flaky/)
  assert.match(failed, /500/)
  assert.match(failed, /gpt-4o-mini/)
  assert.match(failed, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/)
  assert.ok(texts.some((text) => text.startsWith('[llm-relay] Upstream in cooldown') && text.includes('flaky')))
  assert.equal(matrix[0]!.method, 'PUT')
  assert.match(matrix[0]!.url, /^\/_matrix\/client\/v3\/rooms\/!ops%3Aexample\.org\/send\/m\.room\.message\/.+/)
  assert.equal(matrix[0]!.authorization, 'Bearer matrix-token-secret')
  assert.equal(matrix[0]!.body.msgtype, 'm.text')
  for (const entry of receiver.received) {
    assert.doesNotMatch(JSON.stringify(entry.body), /sk-upstream-secret-9|client-key|matrix-token-secret/)
  }
})

test("openai-api-route's FEISHU_WEBHOOK and MATRIX_API environment variables work as there", async (t) => {
  const receiver = await startReceiver(t)
  const mock = await startMock(t, { behaviour: { status: 502 } })
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ name: 'down', url: mock.url }] }] }, {
    env: { FEISHU_WEBHOOK: `${receiver.url}/feishu`, MATRIX_API: `${receiver.url}/matrix-api` },
    failOnErrorLogs: false,
  })
  const client = new OpenAI({ apiKey: 'k', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  await assert.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }))
  await eventually(() => receiver.received.length >= 2)
  const api = receiver.received.find((entry) => entry.url === '/matrix-api')
  assert.equal(api?.body.message, 'm.text')
  assert.match(String(api?.body.body), /down/)
  assert.ok(receiver.received.some((entry) => entry.url === '/feishu'))
})
