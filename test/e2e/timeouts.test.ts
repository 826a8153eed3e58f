import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'
import { readText } from '../helpers/read-body.js'

// Issue 2, point 4 (separate limits for stream and non-stream headers, idle between chunks) and
// point 5 (total time bounded). Every 504 is logged at error level by the gateway, hence failOnErrorLogs: false.

interface Timed {
  status: number
  text: string
  ms: number
  /** The body did not end cleanly. */
  broken: boolean
}

async function chat(url: string, stream: boolean, headers: Record<string, string> = {}): Promise<Timed> {
  const started = performance.now()
  const answer = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'time me' }], stream }),
  })
  const { text, broken } = await readText(answer.body)
  return { status: answer.statusCode, text, ms: performance.now() - started, broken }
}

/** One fast request per route first, so first-connection and warm-up costs do not count against a timeout. */
async function warmUp(relayUrl: string, prefixes: string[]): Promise<void> {
  for (const prefix of prefixes) {
    const answer = await chat(`${relayUrl}${prefix}/v1/chat/completions`, false, { 'x-mock-headers-delay-ms': '0' })
    assert.equal(answer.status, 200, `warm-up ${prefix}`)
  }
}

function assertTimedOut(answer: Timed, withinMs: number, label: string): void {
  assert.equal(answer.status, 504, `${label}: ${answer.text}`)
  assert.equal((JSON.parse(answer.text) as { error: { code: string } }).error.code, 'RELAY_ERR_UPSTREAM_TIMEOUT', label)
  assert.ok(answer.ms < withinMs, `${label}: answered after ${Math.round(answer.ms)} ms, expected under ${withinMs} ms`)
}

function assertAnswered(answer: Timed, stream: boolean, label: string): void {
  assert.equal(answer.status, 200, `${label}: ${answer.text}`)
  assert.equal(answer.broken, false, label)
  if (stream) assert.ok(answer.text.endsWith('data: [DONE]\n\n'), label)
  else assert.equal((JSON.parse(answer.text) as { object: string }).object, 'chat.completion', label)
}

test('streamTimeout limits streaming requests and timeout non-streaming ones, on the same slow upstream', async (t) => {
  const mock = await startMock(t, { behaviour: { headersDelayMs: 600 } })
  const relay = await startRelay(
    t,
    {
      routes: [
        { path: '/short-stream', timeout: '2s', streamTimeout: '200ms', upstreams: [{ url: mock.url }] },
        { path: '/short-plain', timeout: '200ms', streamTimeout: '2s', upstreams: [{ url: mock.url }] },
      ],
    },
    { failOnErrorLogs: false },
  )
  await warmUp(relay.url, ['/short-stream', '/short-plain'])
  const [streamCut, plainOk, plainCut, streamOk] = await Promise.all([
    chat(`${relay.url}/short-stream/v1/chat/completions`, true),
    chat(`${relay.url}/short-stream/v1/chat/completions`, false),
    chat(`${relay.url}/short-plain/v1/chat/completions`, false),
    chat(`${relay.url}/short-plain/v1/chat/completions`, true),
  ])
  assertTimedOut(streamCut, 1000, 'stream with streamTimeout 200ms')
  assertAnswered(plainOk, false, 'non-stream with timeout 2s')
  assert.ok(plainOk.ms >= 550, 'it did wait for the slow headers')
  assertTimedOut(plainCut, 1000, 'non-stream with timeout 200ms')
  assertAnswered(streamOk, true, 'stream with streamTimeout 2s')
  assert.equal(mock.requests.length, 6)
})

test("an upstream's own timeout overrides its route's", async (t) => {
  const mock = await startMock(t, { behaviour: { headersDelayMs: 600 } })
  const relay = await startRelay(
    t,
    {
      routes: [
        { path: '/tight', timeout: '2s', streamTimeout: '2s', upstreams: [{ url: mock.url, timeout: '200ms', streamTimeout: '200ms' }] },
        { path: '/loose', timeout: '200ms', streamTimeout: '200ms', upstreams: [{ url: mock.url, timeout: '2s', streamTimeout: '2s' }] },
      ],
    },
    { failOnErrorLogs: false },
  )
  await warmUp(relay.url, ['/tight', '/loose'])
  const [tightPlain, tightStream, loosePlain, looseStream] = await Promise.all([
    chat(`${relay.url}/tight/v1/chat/completions`, false),
    chat(`${relay.url}/tight/v1/chat/completions`, true),
    chat(`${relay.url}/loose/v1/chat/completions`, false),
    chat(`${relay.url}/loose/v1/chat/completions`, true),
  ])
  assertTimedOut(tightPlain, 1000, 'upstream timeout 200ms under route timeout 2s')
  assertTimedOut(tightStream, 1000, 'upstream streamTimeout 200ms under route streamTimeout 2s')
  assertAnswered(loosePlain, false, 'upstream timeout 2s under route timeout 200ms')
  assertAnswered(looseStream, true, 'upstream streamTimeout 2s under route streamTimeout 200ms')
})

test('the global timeouts apply where neither route nor upstream sets one', async (t) => {
  const mock = await startMock(t, { behaviour: { headersDelayMs: 600 } })
  const relay = await startRelay(
    t,
    {
      timeouts: { timeout: '200ms', streamTimeout: '2s', idleTimeout: '300ms' },
      routes: [
        { path: '/', upstreams: [{ url: mock.url }] },
        { path: '/route-wins', timeout: '2s', upstreams: [{ url: mock.url }] },
        { path: '/no-limit', timeout: 0, idleTimeout: 0, upstreams: [{ url: mock.url }] },
      ],
    },
    { failOnErrorLogs: false },
  )
  await warmUp(relay.url, ['/route-wins'])
  const [plain, stream, routeWins, noLimit] = await Promise.all([
    chat(`${relay.url}/v1/chat/completions`, false),
    chat(`${relay.url}/v1/chat/completions`, true),
    chat(`${relay.url}/route-wins/v1/chat/completions`, false),
    chat(`${relay.url}/no-limit/v1/chat/completions`, false),
  ])
  assertTimedOut(plain, 1000, 'global timeout 200ms')
  assertAnswered(stream, true, 'global streamTimeout 2s')
  assertAnswered(routeWins, false, 'route timeout 2s over global 200ms')
  assertAnswered(noLimit, false, 'timeout 0 is no limit')

  // Global idleTimeout 300ms against an upstream that pauses 1 s between chunks.
  const stalled = await chat(`${relay.url}/v1/chat/completions`, true, { 'x-mock-headers-delay-ms': '0', 'x-mock-chunk-delay-ms': '1000' })
  assert.equal(stalled.status, 200)
  assert.equal(stalled.broken, true, 'the stream is cut')
  assert.ok(stalled.text.includes('RELAY_ERR_UPSTREAM_STREAM_BROKEN'))
  assert.ok(!stalled.text.includes('[DONE]'))
  assert.ok(!stalled.text.includes('tok0'), 'the chunk due after 1 s never came')
  assert.ok(stalled.ms < 900, `cut after the idle timeout, before the next chunk (${Math.round(stalled.ms)} ms)`)
})

test('failover.totalTimeout bounds all attempts together', async (t) => {
  const hangs = [await startMock(t, { behaviour: { fault: 'hang' } }), await startMock(t, { behaviour: { fault: 'hang' } }), await startMock(t, { behaviour: { fault: 'hang' } })]
  const relay = await startRelay(
    t,
    {
      failover: { totalTimeout: '1.5s' },
      routes: [{ path: '/', timeout: '1s', upstreams: hangs.map((mock, index) => ({ name: `hang-${index + 1}`, url: mock.url })) }],
    },
    { failOnErrorLogs: false },
  )
  const answer = await chat(`${relay.url}/v1/chat/completions`, false)
  // Without the total bound this takes 3 s; the margin above 1.5 s is for a loaded CI machine's late timers.
  assertTimedOut(answer, 2400, 'three 1 s upstreams under a 1.5 s total')
  assert.ok(answer.ms >= 1400, `the whole 1.5 s was used (${Math.round(answer.ms)} ms)`)
  assert.deepEqual(
    hangs.map((mock) => mock.requests.length),
    [1, 1, 0],
    'the first gets its full second, the second the half second left, the third no attempt',
  )
  assert.match(answer.text, /hang-1 \(no response headers in time\), hang-2 \(no response headers in time\)/)
})
