import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { beforeEach, test } from 'node:test'
import { request } from 'undici'
import type { ConfigInput } from '../../src/config/schema.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 3, point 2 (second bullet): OpenAI-Forward's token_rate_limit, a minimum gap between the
// events of a streamed answer per route and forward-key level (seeds.md A.4.5).

interface StreamRead {
  status: number
  contentType: string | undefined
  text: string
  /** Arrival time (ms after the request) of each complete SSE event. */
  arrivals: number[]
  elapsed: number
  error: unknown
}

const chatBody = (mock: object, stream = true): string =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'pace me' }], stream, mock })

const blankLine = /\r?\n\r?\n/

async function post(url: string, body: string, token?: string): Promise<StreamRead> {
  const start = performance.now()
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  const answer = await request(url, { method: 'POST', headers, body })
  const arrivals: number[] = []
  let text = ''
  let error: unknown
  try {
    for await (const chunk of answer.body) {
      const at = performance.now() - start
      const before = text.split(blankLine).length
      text += (chunk as Buffer).toString('utf8')
      for (let i = before; i < text.split(blankLine).length; i++) arrivals.push(at)
    }
  } catch (caught) {
    error = caught
  }
  const contentType = answer.headers['content-type']
  return { status: answer.statusCode, contentType: typeof contentType === 'string' ? contentType : undefined, text, arrivals, elapsed: performance.now() - start, error }
}

/**
 * How far this stream's arrivals run ahead of a pace of one event per `gapMs`, at worst: for every
 * pair of events i < j, (j - i) * gapMs minus the time between their arrivals. The reader shares a
 * loaded machine with the gateway, so an arrival can be read late and the gap after it then reads
 * short by as much; comparing every pair, not only neighbours, still catches a pacer that lets
 * events through early over any stretch. From the second event on: the first can reach the socket
 * before the reader starts iterating the body, so its timestamp is late.
 */
function aheadOfPace(arrivals: number[], gapMs: number): number {
  let ahead = Number.NEGATIVE_INFINITY
  for (let i = 1; i < arrivals.length; i++) {
    for (let j = i + 1; j < arrivals.length; j++) ahead = Math.max(ahead, (j - i) * gapMs - (arrivals[j]! - arrivals[i]!))
  }
  return ahead
}

/** The read lateness a quiet CI machine shows (a CI run read one 100 ms gap as 91 ms). */
const JITTER_MS = 30

// A read that runs late (the event loop stalled while this process, gateway and client both, was busy)
// makes the next gap look short by as much: the allowance grows by the longest stall seen meanwhile.
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
beforeEach(() => loopDelay.reset())

/** How far ahead of pace a stretch may seem without the gateway having run ahead: JITTER_MS plus the longest stall since the last reset. */
function allowance(): number {
  return JITTER_MS + loopDelay.max / 1e6
}

function gapsOf(arrivals: number[]): string {
  return arrivals.slice(2).map((at, index) => Math.round(at - (arrivals[index + 1] ?? 0))).join(' ')
}

function config(upstream: string, streamPacing: NonNullable<ConfigInput['limits']>['streamPacing']): ConfigInput {
  return {
    access: { forwardKeys: [{ key: 'fk-level1', level: 1 }], levels: [{ level: 1, keys: [] }] },
    limits: { streamPacing },
    routes: [{ path: '/', upstreams: [{ url: upstream }] }],
  }
}

test('a paced stream keeps the gap between events, ends with [DONE] and carries the same bytes as an unpaced one', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, config(mock.url, [{ route: '/v1/chat/completions', level: 0, limit: '10/second' }]))

  const unpaced = await post(`${relay.url}/v1/completions`, JSON.stringify({ model: 'm', prompt: 'x', stream: true, mock: { chunks: 20 } }))
  assert.ok(unpaced.elapsed < 1000, `a route without a rule is not paced (${Math.round(unpaced.elapsed)} ms)`)

  const paced = await post(`${relay.url}/v1/chat/completions`, chatBody({ chunks: 20 }))
  assert.equal(paced.status, 200)
  assert.equal(paced.error, undefined)
  assert.match(paced.text, /data: \[DONE\]\n\n$/)
  const events = paced.text.split('\n\n').length - 1
  assert.ok(events >= 21, `one event per chunk plus [DONE] (${events})`)
  assert.ok(paced.elapsed >= (events - 1) * 100 - 50, `${events} events at 10/second take ~${(events - 1) / 10} s (${Math.round(paced.elapsed)} ms)`)
  assert.ok(aheadOfPace(paced.arrivals, 100) <= allowance(), `no stretch of events runs ahead of 100 ms a gap (allowance ${Math.round(allowance())} ms; gaps ${gapsOf(paced.arrivals)})`)

  // The same answer on a route without a rule: identical bytes (the mock's ids and timestamps aside).
  const relayUnpaced = await startRelay(t, config(mock.url, [{ route: '/v1/embeddings', level: 0, limit: '10/second' }]))
  const plain = await post(`${relayUnpaced.url}/v1/chat/completions`, chatBody({ chunks: 20 }))
  assert.ok(plain.elapsed < 1000, `not paced (${Math.round(plain.elapsed)} ms)`)
  const normalise = (text: string) => text.replace(/"id":"[^"]*"/g, '"id":""').replace(/"created":\d+/g, '"created":0')
  assert.equal(normalise(paced.text), normalise(plain.text))
})

test('levels really apply: a level-1 forward key is paced by its own rule, level 0 by its own; inf paces nothing', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(
    t,
    config(mock.url, [
      { route: '/', level: 0, limit: '10/second' },
      { route: '/v1/chat/completions', level: 1, limit: '50/second' },
      { route: '/v1/completions', level: 1, limit: 'inf' },
    ]),
  )
  const level0 = await post(`${relay.url}/v1/chat/completions`, chatBody({ chunks: 10 }))
  const level1 = await post(`${relay.url}/v1/chat/completions`, chatBody({ chunks: 10 }), 'fk-level1')
  assert.ok(level0.elapsed >= 950, `level 0 at 10/second: 11 events ~1 s (${Math.round(level0.elapsed)} ms)`)
  assert.ok(aheadOfPace(level0.arrivals, 100) <= allowance(), `level 0 paced at 100 ms (allowance ${Math.round(allowance())} ms; gaps ${gapsOf(level0.arrivals)})`)
  assert.ok(level1.elapsed >= 190 && level1.elapsed < 800, `level 1 at 50/second: 11 events ~0.2 s, not level 0's 1 s (${Math.round(level1.elapsed)} ms)`)
  assert.ok(aheadOfPace(level1.arrivals, 20) <= allowance(), `level 1 paced at 20 ms (allowance ${Math.round(allowance())} ms; gaps ${gapsOf(level1.arrivals)})`)

  const free = await post(`${relay.url}/v1/completions`, JSON.stringify({ model: 'm', prompt: 'x', stream: true, mock: { chunks: 20 } }), 'fk-level1')
  assert.ok(free.elapsed < 500, `the longest route of the client's level wins, and inf is no pacing (${Math.round(free.elapsed)} ms)`)
})

test('a JSON answer on a paced route is not delayed', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, config(mock.url, [{ route: '/', level: 0, limit: '1/second' }]))
  const start = performance.now()
  for (let i = 0; i < 3; i++) {
    const read = await post(`${relay.url}/v1/chat/completions`, chatBody({ chunks: 20 }, false))
    assert.equal(read.status, 200)
    assert.match(read.contentType ?? '', /application\/json/)
    assert.ok(JSON.parse(read.text))
  }
  assert.ok(performance.now() - start < 1000, 'three JSON answers in well under the 1 s gap')
})

test('pacing is per SSE event, not per network chunk: coalesced and split events are re-cut at blank lines', async (t) => {
  // One write carrying three events, then one event split over two writes (CRLF line ends), then an end without a blank line.
  const writes = ['data: a\n\ndata: b\n\ndata: c\n\n', 'data: d\r\n\r', '\ndata: e\n\n', 'data: [DONE]']
  const server = createServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    let next = 0
    const step = () => {
      const piece = writes[next++]
      if (piece === undefined) return res.end()
      res.write(piece)
      setTimeout(step, 10)
    }
    step()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const relay = await startRelay(t, config(upstream, [{ route: '/', level: 0, limit: '10/second' }]))

  const read = await post(`${relay.url}/v1/chat/completions`, chatBody({}))
  assert.equal(read.text, writes.join(''), 'the bytes are unchanged, the trailing partial event included')
  assert.ok(read.elapsed >= 490, `6 events, 5 gaps of 100 ms (${Math.round(read.elapsed)} ms)`)
  assert.equal(read.arrivals.length, 5, 'five blank-line events arrive one by one (the last has no blank line)')
  assert.ok(aheadOfPace(read.arrivals, 100) <= allowance(), `paced at 100 ms (allowance ${Math.round(allowance())} ms; gaps ${gapsOf(read.arrivals)})`)
})

test('an upstream that breaks mid-stream: the queued events at their pace, then the error event and a cut', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, config(mock.url, [{ route: '/', level: 0, limit: '20/second' }]))
  const read = await post(`${relay.url}/v1/chat/completions`, chatBody({ chunks: 10, fault: 'truncate' }))
  assert.ok(read.error, 'the connection is cut')
  assert.doesNotMatch(read.text, /\[DONE\]/)
  assert.match(read.text, /data: \{"error":\{[^\n]*broke off[^\n]*\}\}\n\n$/)
  const events = read.text.split('\n\n').length - 1
  assert.ok(events >= 3, `some content events, then the error (${events})`)
  assert.ok(read.elapsed >= (events - 2) * 50 - 20, `the queued events kept their pace (${Math.round(read.elapsed)} ms)`)
})

test('a client that leaves mid-pacing aborts the upstream; the gateway keeps serving', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, config(mock.url, [{ route: '/', level: 0, limit: '10/second' }]))
  const controller = new AbortController()
  const answer = await request(`${relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: chatBody({ chunks: 50, chunkDelayMs: 20 }),
    signal: controller.signal,
  })
  assert.equal(answer.statusCode, 200)
  let seen = 0
  for await (const _chunk of answer.body) if (++seen === 2) break
  controller.abort()
  const leftAt = performance.now()
  await mock.waitForAbort(1000)
  assert.ok(performance.now() - leftAt < 1000)
  assert.equal(mock.requests[0]?.aborted, true)

  const after = await post(`${relay.url}/v1/chat/completions`, chatBody({ chunks: 2 }))
  assert.equal(after.status, 200)
  assert.match(after.text, /\[DONE\]/)
})

test('a slow paced stream is not cut by the idle timeout while the queue holds the upstream back', async (t) => {
  // The upstream sends 100 events in ~0.5 s, the pacer writes 40 a second: the queue bound pauses the
  // upstream at ~0.4 s until half the queue is written (~0.8 s later), past the 500 ms idle timeout.
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    limits: { streamPacing: [{ limit: '40/second' }] },
    routes: [{ path: '/', idleTimeout: '500ms', upstreams: [{ url: mock.url }] }],
  })
  const read = await post(`${relay.url}/v1/chat/completions`, chatBody({ chunks: 100, chunkDelayMs: 5 }))
  assert.equal(read.error, undefined)
  assert.match(read.text, /data: \[DONE\]\n\n$/)
  assert.ok(read.elapsed >= 2400, `101 events at 40/second (${Math.round(read.elapsed)} ms)`)
})
