import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import { eventually, startRelay } from '../helpers/relay.js'
import { startMock } from '../helpers/mock.js'

// Issue 2, point 4 (stream) and the "client disconnect aborts the upstream" part of point 8.

const chatBody = (extra: object = {}): string => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream please' }], stream: true, ...extra })

function sdk(relayUrl: string): OpenAI {
  return new OpenAI({ apiKey: 'client-token', baseURL: `${relayUrl}/v1`, maxRetries: 0 })
}

interface TimedEvent {
  data: string
  at: number
}

interface StreamRead {
  status: number
  headers: Record<string, string | string[] | undefined>
  headersAt: number
  text: string
  events: TimedEvent[]
  /** Set when the body did not end cleanly (cut connection). */
  error: unknown
}

/** Posts a chat stream with undici and timestamps every complete SSE event as it arrives. */
async function readStream(url: string, body: string, headers: Record<string, string> = {}): Promise<StreamRead> {
  const start = performance.now()
  const answer = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  const headersAt = performance.now() - start
  const events: TimedEvent[] = []
  let text = ''
  let pending = ''
  let error: unknown
  try {
    for await (const chunk of answer.body) {
      const at = performance.now() - start
      const piece = (chunk as Buffer).toString('utf8')
      text += piece
      pending += piece
      let end: number
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const event = pending.slice(0, end)
        pending = pending.slice(end + 2)
        if (event.startsWith('data: ')) events.push({ data: event.slice(6), at })
      }
    }
  } catch (caught) {
    error = caught
  }
  return { status: answer.statusCode, headers: answer.headers, headersAt, text, events, error }
}

async function listen(t: TestContext, server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

test('SSE reaches the client chunk by chunk as the upstream sends it, never buffered', async (t) => {
  const mock = await startMock(t, { behaviour: { chunks: 5, chunkDelayMs: 150 } })
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-stream'] }] }] })

  // One request first, so start-up costs (first connection, lazy compilation) do not count as buffering.
  await readStream(`${relay.url}/v1/chat/completions`, chatBody(), { 'x-mock-chunk-delay-ms': '0' })

  // The raw client and the SDK read one stream each, at the same time.
  const viaSdk = async (): Promise<{ text: string; arrivals: number[] }> => {
    const start = performance.now()
    const stream = await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })
    const arrivals: number[] = []
    let text = ''
    for await (const chunk of stream) {
      arrivals.push(performance.now() - start)
      text += chunk.choices[0]?.delta.content ?? ''
    }
    return { text, arrivals }
  }
  const [read, { text, arrivals }] = await Promise.all([readStream(`${relay.url}/v1/chat/completions`, chatBody()), viaSdk()])

  assert.equal(read.error, undefined)
  assert.equal(read.status, 200)
  // role, 5 content pieces, stop, [DONE]: 7 gaps of 150 ms at the upstream.
  assert.equal(read.events.length, 8)
  const first = read.events[0]!
  const last = read.events.at(-1)!
  assert.equal(last.data, '[DONE]')
  // Loose bounds: a loaded CI machine delays timers, but a buffering relay would deliver everything at ~1050 ms.
  assert.ok(read.headersAt < 700, `headers arrive at once (${Math.round(read.headersAt)} ms)`)
  assert.ok(first.at < 700, `the first event arrives at once (${Math.round(first.at)} ms)`)
  assert.ok(last.at - first.at >= 850, `events are spread as the upstream sent them (${Math.round(last.at - first.at)} ms from first to last)`)
  const gaps = read.events.slice(1).map((event, index) => event.at - read.events[index]!.at)
  const spaced = gaps.filter((gap) => gap >= 60)
  assert.ok(spaced.length >= 5, `gaps roughly match the upstream's 150 ms: ${gaps.map(Math.round).join(', ')}`)

  // Through the SDK too, chunk arrival times are spread, not one blob.
  assert.equal(text, 'tok0 tok1 tok2 tok3 tok4 ')
  assert.equal(arrivals.length, 7)
  assert.ok(arrivals.at(-1)! - arrivals[0]! >= 700, `SDK chunks spread: ${arrivals.map(Math.round).join(', ')}`)
})

test('status, content-type and the upstream bytes pass through; a stream ends with [DONE] when the upstream sends it', async (t) => {
  const mock = await startMock(t, { behaviour: { chunks: 4 } })
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-stream'] }] }] })

  const viaRelay = await readStream(`${relay.url}/v1/chat/completions`, chatBody({ stream_options: { include_usage: true } }), { 'x-mock-status': '201' })
  const direct = await readStream(`${mock.url}/v1/chat/completions`, chatBody({ stream_options: { include_usage: true } }), { 'x-mock-status': '201' })
  assert.equal(viaRelay.error, undefined)
  assert.equal(viaRelay.status, 201, 'the upstream status of a stream passes through')
  assert.equal(viaRelay.headers['content-type'], 'text/event-stream; charset=utf-8')
  assert.equal(viaRelay.headers['cache-control'], 'no-cache')
  assert.ok(viaRelay.text.endsWith('data: [DONE]\n\n'))
  // Byte for byte what the upstream sends, apart from its per-request id and clock.
  const normalise = (text: string): string => text.replace(/chatcmpl-mock-\d+/g, 'ID').replace(/"created":\d+/g, '"created":0')
  assert.equal(normalise(viaRelay.text), normalise(direct.text))
  assert.ok(viaRelay.text.includes('"usage":{'), 'the usage chunk passes too')

  const stream = await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  assert.equal(text, 'tok0 tok1 tok2 tok3 ')
})

/** The client side of a stream the upstream broke: an error event, a cut connection, no [DONE]. */
function assertBrokenStream(read: StreamRead, reason: RegExp): void {
  assert.equal(read.status, 200, 'headers were already relayed')
  assert.ok(read.error !== undefined, 'the client sees the connection cut, not a clean end')
  assert.ok(!read.text.includes('[DONE]'), 'never a made-up [DONE]')
  const last = read.events.at(-1)
  assert.ok(last, 'some events arrived')
  const error = (JSON.parse(last.data) as { error?: { code: string; type: string; message: string } }).error
  assert.ok(error, `the last event is the relay's error event, got ${last.data}`)
  assert.equal(error.code, 'RELAY_ERR_UPSTREAM_STREAM_BROKEN')
  assert.equal(error.type, 'api_error')
  assert.match(error.message, reason)
}

async function sdkStreamError(relayUrl: string, headers: Record<string, string>): Promise<{ text: string; error: unknown }> {
  const stream = await sdk(relayUrl).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers })
  let text = ''
  try {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  } catch (error) {
    return { text, error }
  }
  return { text, error: undefined }
}

test('an upstream that truncates its stream ends the client stream as an error: error event, no [DONE], the SDK throws', async (t) => {
  const mock = await startMock(t, { behaviour: { chunks: 4 } })
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-stream'] }] }] })

  const read = await readStream(`${relay.url}/v1/chat/completions`, chatBody(), { 'x-mock-fault': 'truncate' })
  assertBrokenStream(read, /broke off/)
  assert.ok(read.text.includes('tok1'), 'what the upstream sent before breaking was relayed')
  assert.ok(!read.text.includes('tok2'))

  const viaSdk = await sdkStreamError(relay.url, { 'x-mock-fault': 'truncate' })
  assert.equal(viaSdk.text, 'tok0 tok1 ')
  // The SDK turns the relay's error event into an APIError.
  assert.ok(viaSdk.error instanceof OpenAI.APIError, String(viaSdk.error))
  assert.match(viaSdk.error.message, /broke off/)
})

test('an upstream reset after the headers ends the client stream as an error', async (t) => {
  const upstream = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"partial "},"finish_reason":null}]}\n\n')
      setTimeout(() => req.socket.resetAndDestroy(), 50)
    })
  })
  const url = await listen(t, upstream)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url, keys: ['sk-stream'] }] }] })

  const read = await readStream(`${relay.url}/v1/chat/completions`, chatBody())
  assertBrokenStream(read, /connection reset|broke off/)
  assert.ok(read.text.includes('partial '))

  const viaSdk = await sdkStreamError(relay.url, {})
  assert.ok(viaSdk.error instanceof OpenAI.APIError, `iterating the SDK stream throws the relay's error: ${String(viaSdk.error)}`)
  assert.match(viaSdk.error.message, /broke off/)
  assert.equal(viaSdk.text, 'partial ')
})

test('an idle gap longer than idleTimeout between chunks ends the stream as an error', async (t) => {
  const mock = await startMock(t, { behaviour: { chunks: 3, chunkDelayMs: 1000 } })
  const relay = await startRelay(t, { routes: [{ path: '/', idleTimeout: '300ms', upstreams: [{ url: mock.url, keys: ['sk-stream'] }] }] })

  const start = performance.now()
  const read = await readStream(`${relay.url}/v1/chat/completions`, chatBody())
  const elapsed = performance.now() - start
  assertBrokenStream(read, /stalled/)
  assert.ok(elapsed >= 250 && elapsed < 900, `cut after the idle timeout, before the next chunk (${Math.round(elapsed)} ms)`)
  assert.ok(!read.text.includes('tok0'), 'the chunk due after 1 s never came')
  await mock.waitForAbort(1000)
  assert.equal(mock.requests[0]?.aborted, true, 'the stalled upstream request is cancelled')
})

test('a client that aborts mid-stream aborts the upstream request at once; the gateway keeps serving', async (t) => {
  const mock = await startMock(t, { behaviour: { chunks: 50, chunkDelayMs: 100 } })
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-stream'] }] }] })
  const client = sdk(relay.url)

  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })
  let text = ''
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? ''
    if (text.length > 0) break // leaving the loop aborts the SDK's request
  }
  assert.equal(text, 'tok0 ')
  const leftAt = performance.now()
  await mock.waitForAbort(1000)
  assert.ok(performance.now() - leftAt < 1000)
  assert.equal(mock.requests[0]?.aborted, true)

  // A second time with the raw client and an AbortController.
  const controller = new AbortController()
  const answer = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody(), signal: controller.signal })
  assert.equal(answer.statusCode, 200)
  for await (const _chunk of answer.body) break
  controller.abort()
  const abortedAt = performance.now()
  await mock.waitForAbort(1000)
  assert.ok(performance.now() - abortedAt < 1000)
  assert.equal(mock.requests[1]?.aborted, true)

  mock.setBehaviour({ chunks: 3, chunkDelayMs: 0 })
  const after = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] })
  assert.equal(after.choices[0]?.message.content, 'tok0 tok1 tok2 ')
})

test('a client that aborts while the upstream has not answered yet aborts the upstream request', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-stream'] }] }] })

  for (const stream of [true, false]) {
    const before = mock.requests.length
    const controller = new AbortController()
    const pending = request(`${relay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'hang' },
      body: chatBody({ stream }),
      signal: controller.signal,
    })
    await eventually(() => mock.requests.length === before + 1)
    controller.abort()
    await assert.rejects(pending)
    const abortedAt = performance.now()
    await mock.waitForAbort(1000)
    assert.ok(performance.now() - abortedAt < 1000)
    assert.equal(mock.requests[before]?.aborted, true, `stream: ${stream}`)
  }
  assert.equal(mock.requests.length, 2, 'an abandoned request is not retried elsewhere')

  const after = await sdk(relay.url).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] })
  assert.equal(after.object, 'chat.completion')
})
