import assert from 'node:assert/strict'
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 2, point 9: an outbound HTTP proxy for upstream calls (OpenAI-Forward's PROXY).

interface TestProxy {
  url: string
  port: number
  /** CONNECT targets (host:port), one per tunnel opened. */
  tunnels: string[]
  /** Absolute-form request URLs, for a client that does not tunnel plain http://. */
  forwarded: string[]
  /** Proxy-Authorization of every CONNECT or forwarded request. */
  credentials: Array<string | undefined>
  /** Bytes sent from the gateway into tunnels. */
  tunnelledBytes: number
}

/** A tiny forward proxy: CONNECT tunnels and absolute-form requests, counting both. */
async function startProxy(t: TestContext): Promise<TestProxy> {
  const sockets = new Set<Socket>()
  const proxy: TestProxy = { url: '', port: 0, tunnels: [], forwarded: [], credentials: [], tunnelledBytes: 0 }
  const server = createServer((req, res) => {
    proxy.forwarded.push(req.url ?? '')
    proxy.credentials.push(req.headers['proxy-authorization'])
    const headers: IncomingHttpHeaders = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const outbound = httpRequest(req.url ?? '', { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    outbound.on('error', () => res.destroy())
    req.pipe(outbound)
  })
  server.on('connect', (req, clientSocket: Socket, head: Buffer) => {
    proxy.tunnels.push(req.url ?? '')
    proxy.credentials.push(req.headers['proxy-authorization'])
    sockets.add(clientSocket)
    const [host, port] = (req.url ?? '').split(':')
    const target = connect(Number(port), host ?? '127.0.0.1', () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) target.write(head)
      target.pipe(clientSocket)
      clientSocket.pipe(target)
    })
    sockets.add(target)
    clientSocket.on('data', (chunk: Buffer) => (proxy.tunnelledBytes += chunk.length))
    target.on('error', () => clientSocket.destroy())
    clientSocket.on('error', () => target.destroy())
    target.on('close', () => clientSocket.destroy())
    clientSocket.on('close', () => target.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const socket of sockets) socket.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  proxy.port = (server.address() as AddressInfo).port
  proxy.url = `http://127.0.0.1:${proxy.port}`
  return proxy
}

const seen = (proxy: TestProxy): number => proxy.tunnels.length + proxy.forwarded.length

test('with `proxy:` set, upstream calls go through the proxy and the answers are right', async (t) => {
  const proxy = await startProxy(t)
  const mock = await startMock(t, { behaviour: { chunks: 4 } })
  const relay = await startRelay(t, { proxy: proxy.url, routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-via-proxy'] }] }] })
  const client = new OpenAI({ apiKey: 'client-token', baseURL: `${relay.url}/v1`, maxRetries: 0 })

  const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'through the proxy' }] })
  assert.equal(answer.choices[0]?.message.content, 'tok0 tok1 tok2 tok3 ')
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream too' }], stream: true })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  assert.equal(text, 'tok0 tok1 tok2 tok3 ')
  const models = await client.models.list()
  assert.ok(models.data.length > 0)

  assert.equal(mock.requests.length, 3)
  assert.ok(seen(proxy) > 0, 'the proxy saw the upstream traffic')
  const target = `127.0.0.1:${mock.port}`
  // undici's ProxyAgent tunnels plain http:// upstreams with CONNECT by default (proxyTunnel: true);
  // an absolute-form proxy request would do as well: either way the proxy must be the one reaching the mock.
  t.diagnostic(`proxy mode: ${proxy.tunnels.length > 0 ? `CONNECT (${proxy.tunnels.length} tunnel(s))` : `absolute-form (${proxy.forwarded.length} request(s))`}`)
  for (const tunnel of proxy.tunnels) assert.equal(tunnel, target)
  for (const url of proxy.forwarded) assert.ok(url.startsWith(`http://${target}/`), url)
  if (proxy.tunnels.length > 0) assert.ok(proxy.tunnelledBytes > 0, 'the requests travelled inside the tunnel')
  else assert.equal(proxy.forwarded.length, 3, 'every request went through the proxy')

  for (const request of mock.requests) {
    assert.equal(request.headers.authorization, 'Bearer sk-via-proxy')
    assert.equal(request.headers['proxy-authorization'], undefined)
  }
})

test('without `proxy:` the same gateway setup does not touch the proxy (control)', async (t) => {
  const proxy = await startProxy(t)
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const client = new OpenAI({ apiKey: 'client-token', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'direct' }] })
  assert.equal(answer.object, 'chat.completion')
  assert.equal(mock.requests.length, 1)
  assert.equal(seen(proxy), 0)
})

test('proxy credentials in the proxy URL go to the proxy only, never to the upstream', async (t) => {
  const proxy = await startProxy(t)
  const mock = await startMock(t)
  const relay = await startRelay(t, { proxy: `http://relay-user:s3cret%40proxy@127.0.0.1:${proxy.port}`, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const client = new OpenAI({ apiKey: 'client-token', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'auth' }] })
  assert.equal(answer.object, 'chat.completion')
  assert.ok(seen(proxy) > 0)
  const expected = `Basic ${Buffer.from('relay-user:s3cret@proxy').toString('base64')}`
  assert.ok(proxy.credentials.length > 0)
  for (const credential of proxy.credentials) assert.equal(credential, expected)
  assert.equal(mock.requests[0]?.headers['proxy-authorization'], undefined)
  assert.ok(!JSON.stringify(mock.requests[0]?.headers).includes('s3cret'))
  assert.ok(!relay.logs.join('\n').includes('s3cret'), 'the proxy password is not logged')
})

test('an unreachable proxy is an upstream connect failure: 502 with an OpenAI error body', async (t) => {
  const closed = createNetServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as AddressInfo
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  const mock = await startMock(t)
  const relay = await startRelay(t, { proxy: `http://127.0.0.1:${port}`, routes: [{ path: '/', upstreams: [{ name: 'behind-proxy', url: mock.url }] }] }, { failOnErrorLogs: false })
  const client = new OpenAI({ apiKey: 'client-token', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).then(
    () => assert.fail('expected a 502'),
    (caught: unknown) => caught,
  )
  assert.ok(error instanceof OpenAI.APIError, String(error))
  assert.equal(error.status, 502)
  assert.equal(error.code, 'RELAY_ERR_UPSTREAM_FAILED')
  assert.match(error.message, /behind-proxy/)
  assert.equal(mock.requests.length, 0)
})
