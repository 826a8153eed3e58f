import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { SseStream, type SseStreamOptions } from '../../src/admin/live/sse.js'
import { eventually } from '../helpers/relay.js'

// The admin live stream's transport: a client that reads too slowly makes the server drop its events
// (never hold them without bound), then tells it how many once its socket drained.

/** A server whose one response is an SseStream, and a raw client socket that does not read until resumed. */
async function open(t: TestContext, options: SseStreamOptions): Promise<{ stream: SseStream; client: Socket; received: () => string }> {
  let opened!: (stream: SseStream) => void
  const streamReady = new Promise<SseStream>((resolve) => (opened = resolve))
  const server: Server = createServer((_request, res) => opened(new SseStream(res, options)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const client = connect((server.address() as { port: number }).port, '127.0.0.1')
  t.after(() => {
    client.destroy()
    server.closeAllConnections()
    server.close()
  })
  let text = ''
  client.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
  client.on('error', () => {})
  client.write('GET /events HTTP/1.1\r\nHost: test\r\n\r\n')
  const stream = await streamReady
  // Past the headers, the client stops reading: the kernel's buffers fill, then the response's own.
  await eventually(() => text.includes('retry: 3000'))
  client.pause()
  return { stream, client, received: () => text }
}

const filler = { text: 'x'.repeat(64 * 1024) }

test('a slow client: past the bound its events are dropped, rare essential ones still go, and once it drained it gets one gap event with the count', async (t) => {
  const { stream, client, received } = await open(t, { maxBufferedBytes: 256 * 1024, heartbeatMs: 60_000 })
  let sent = 0
  while (stream.send('stats', filler)) if (++sent > 10_000) assert.fail('the bound was never reached')
  assert.ok(stream.congested)
  assert.equal(stream.send('stats', filler), false)
  assert.equal(stream.send('request', { id: 'r' }, { id: 7 }), false)
  assert.equal(stream.send('config', { etag: 'e' }, { always: true }), true, 'always: sent even now')
  client.resume()
  await eventually(() => received().includes('event: gap'), 10_000)
  assert.match(received(), /event: gap\ndata: \{"reason":"slow-client","dropped":3\}\n\n/)
  assert.ok(!stream.congested)
  assert.ok(received().includes('event: config\ndata: {"etag":"e"}\n\n'))
  assert.ok(!received().includes('id: 7'), 'the dropped event never went')
  assert.equal(stream.send('request', { id: 's' }, { id: 8 }), true)
  await eventually(() => received().includes('event: request\nid: 8\ndata: {"id":"s"}\n\n'))
})

test('a client that reads nothing while congested for stallMs is disconnected; closing is reported once', async (t) => {
  const { stream } = await open(t, { maxBufferedBytes: 64 * 1024, heartbeatMs: 20, stallMs: 100 })
  let closes = 0
  stream.onClose(() => closes++)
  // Filled until the kernel's buffers take no more: the response's own then stays over the bound.
  for (let round = 0; !stream.closed; round++) {
    assert.ok(round < 1000, 'the stream was never disconnected')
    while (stream.send('stats', filler));
    await eventually(() => stream.closed || !stream.congested, 3000)
  }
  assert.equal(closes, 1)
  assert.equal(stream.send('stats', {}), false)
  stream.close()
  assert.equal(closes, 1)
})

test('heartbeats are comments, and the headers say no caching and no proxy buffering', async (t) => {
  const { client, received } = await open(t, { heartbeatMs: 20 })
  client.resume()
  await eventually(() => received().includes(': keep-alive\n\n'))
  const head = received().split('\r\n\r\n')[0]!.toLowerCase()
  for (const header of ['content-type: text/event-stream; charset=utf-8', 'cache-control: no-store', 'x-accel-buffering: no']) assert.ok(head.includes(header), header)
})
