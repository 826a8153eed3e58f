import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { Agent, request } from 'undici'
import { connectorClosingUnusedSockets } from '../../src/upstream/unused-sockets.js'
import { eventually } from '../helpers/relay.js'

const UNUSED_MS = 200

/** A server whose answers stream a line every 50 ms until the client leaves; its first byte waits `firstByteMs`. */
async function streamingServer(t: TestContext, firstByteMs = 0): Promise<{ server: Server; url: string; connections: () => Promise<number> }> {
  const server = createServer((req, res) => {
    req.resume()
    const start = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const tick = setInterval(() => res.write('data: x\n\n'), 50)
      res.on('close', () => clearInterval(tick))
    }, firstByteMs)
    res.on('close', () => clearTimeout(start))
  })
  // Idle connections kept a minute, as providers' edges do (Node's 5 s default would close the spare ones itself).
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  const connections = () => new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections }
}

test('after streams are aborted mid-answer, no connection to the upstream stays open (undici opens a spare one per abort)', async (t) => {
  const upstream = await streamingServer(t)
  const agent = new Agent({ connect: connectorClosingUnusedSockets({ timeout: 1000 }, UNUSED_MS), headersTimeout: 0, bodyTimeout: 0 })
  t.after(() => agent.destroy())
  // One stream stays: with a connection still in use the pool lives on, and so would the spare ones.
  const staying = await request(upstream.url, { dispatcher: agent })
  t.after(() => staying.body.destroy())
  const controller = new AbortController()
  const streams = Array.from({ length: 5 }, async () => {
    const answer = await request(upstream.url, { dispatcher: agent, signal: controller.signal })
    for await (const _chunk of answer.body) controller.abort()
  })
  await Promise.allSettled(streams)
  await eventually(async () => (await upstream.connections()) === 1, 10_000).catch(async () =>
    assert.fail(`connections open: ${await upstream.connections()} (1 expected: the staying stream's)`),
  )
})

test('a connection in use is not closed for being quiet longer than the unused limit', async (t) => {
  const upstream = await streamingServer(t, UNUSED_MS * 3)
  const agent = new Agent({ connect: connectorClosingUnusedSockets({ timeout: 1000 }, UNUSED_MS), headersTimeout: 0, bodyTimeout: 0 })
  t.after(() => agent.destroy())
  const answer = await request(upstream.url, { dispatcher: agent })
  let lines = 0
  for await (const chunk of answer.body) {
    lines += String(chunk).split('\n\n').length - 1
    if (lines >= 3) break
  }
  assert.equal(answer.statusCode, 200)
  assert.ok(lines >= 3)
})
