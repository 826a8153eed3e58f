import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import { stringify } from 'yaml'
import { IpRangeList } from '../../src/access/cidr.js'
import { IpAccess } from '../../src/access/ip-access.js'
import { validateConfig } from '../../src/config/load.js'
import type { ConfigInput } from '../../src/config/schema.js'
import { createLogger } from '../../src/log.js'
import { startGateway, type Gateway } from '../../src/main.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 2, point 7 (filter): IP allow/deny lists with CIDR, IPv4 and IPv6; X-Forwarded-For only from trusted proxies.

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string }
}

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })

async function post(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const answer = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: chatBody })
  return { status: answer.statusCode, body: await answer.body.text(), headers: answer.headers }
}

function assertForbidden(answer: { status: number; body: string; headers: Record<string, unknown> }): void {
  assert.equal(answer.status, 403)
  assert.match(String(answer.headers['content-type']), /application\/json/)
  assert.ok(answer.headers['x-relay-request-id'])
  const body = JSON.parse(answer.body) as ErrorBody
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type'])
  assert.equal(body.error.code, 'RELAY_ERR_IP_FORBIDDEN')
  assert.equal(body.error.type, 'permission_error')
  assert.equal(body.error.param, null)
}

const config = (url: string, extra: Partial<ConfigInput> = {}): ConfigInput => ({ routes: [{ path: '/', upstreams: [{ url }] }], ...extra })

/** startRelay forces 127.0.0.1; this starts a gateway on another address (::1) the same way. */
async function startGatewayOn(t: TestContext, host: string, input: ConfigInput): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-ip-'))
  const file = join(dir, 'config.yaml')
  writeFileSync(file, stringify(input))
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
  const gateway = await startGateway({ file, cwd: dir, env: {}, overrides: { host, port: 0, dataDir: join(dir, 'data') }, logger: createLogger('warn', sink) })
  t.after(async () => {
    await gateway.shutdown()
    rmSync(dir, { recursive: true, force: true })
  })
  return gateway
}

test('allow list with CIDR: 127.0.0.0/8 lets loopback in', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, config(mock.url, { access: { ip: { allow: ['127.0.0.0/8'] } } }))
  const answer = await new OpenAI({ apiKey: 'k', baseURL: `${relay.url}/v1`, maxRetries: 0 }).chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
  })
  assert.equal(answer.object, 'chat.completion')
  assert.equal(mock.requests.length, 1)
})

test('allow list without our address → 403 RELAY_ERR_IP_FORBIDDEN in OpenAI shape, no upstream request', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, config(mock.url, { access: { ip: { allow: ['10.0.0.0/8'] } } }))
  assertForbidden(await post(relay.url))

  // The SDK sees a PermissionDeniedError with the code.
  let caught: unknown
  try {
    await new OpenAI({ apiKey: 'k', baseURL: `${relay.url}/v1`, maxRetries: 0 }).models.list()
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof OpenAI.PermissionDeniedError)
  assert.equal(caught.code, 'RELAY_ERR_IP_FORBIDDEN')
  assert.equal(mock.requests.length, 0)
})

test('deny list: a matching range is refused, others pass; deny beats allow', async (t) => {
  const mock = await startMock(t)
  const denied = await startRelay(t, config(mock.url, { access: { ip: { deny: ['127.0.0.1/32'] } } }))
  assertForbidden(await post(denied.url))
  const other = await startRelay(t, config(mock.url, { access: { ip: { deny: ['10.0.0.0/8', '192.168.0.0/16'] } } }))
  assert.equal((await post(other.url)).status, 200)
  const both = await startRelay(t, config(mock.url, { access: { ip: { allow: ['127.0.0.0/8'], deny: ['127.0.0.1'] } } }))
  assertForbidden(await post(both.url))
  assert.equal(mock.requests.length, 1)
})

test('IPv6: a gateway on ::1 applies IPv6 ranges', async (t) => {
  const mock = await startMock(t)
  const allowed = await startGatewayOn(t, '::1', config(mock.url, { access: { ip: { allow: ['::1/128'] } } }))
  assert.match(allowed.url, /^http:\/\/\[::1\]:\d+$/)
  assert.equal((await post(allowed.url)).status, 200)

  const otherRange = await startGatewayOn(t, '::1', config(mock.url, { access: { ip: { allow: ['2001:db8::/32'] } } }))
  assertForbidden(await post(otherRange.url))

  const denied = await startGatewayOn(t, '::1', config(mock.url, { access: { ip: { deny: ['::/64'] } } }))
  assertForbidden(await post(denied.url))

  // An IPv4 list does not admit an IPv6 peer.
  const v4Only = await startGatewayOn(t, '::1', config(mock.url, { access: { ip: { allow: ['127.0.0.0/8'] } } }))
  assertForbidden(await post(v4Only.url))
  assert.equal(mock.requests.length, 1)
})

test('IPv6 and IPv4-mapped addresses in the range lists and the trusted-proxy rule', () => {
  const list = new IpRangeList(['2001:db8::/32', '10.0.0.0/8', '::ffff:192.0.2.0/120'])
  assert.ok(list.has('2001:db8::1'))
  assert.ok(list.has('2001:0db8:ffff::42'))
  assert.ok(!list.has('2001:db9::1'))
  // What a dual-stack socket reports for an IPv4 peer.
  assert.ok(list.has('::ffff:10.9.8.7'))
  assert.ok(list.has('192.0.2.55'), 'a mapped range matches the plain IPv4 address')
  assert.ok(!list.has('not-an-ip'))

  const access = new IpAccess(
    validateConfig({
      server: { trustedProxies: ['fd00::/8'] },
      access: { ip: { deny: ['2001:db8::/32'] } },
      routes: [{ path: '/', upstreams: [{ url: 'http://127.0.0.1:1' }] }],
    }),
  )
  const fake = (remoteAddress: string, forwardedFor?: string) =>
    ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage
  assert.equal(access.clientIp(fake('fd00::1', '2001:db8::7')), '2001:db8::7')
  assert.ok(!access.isAllowed(access.clientIp(fake('fd00::1', '2001:db8::7'))))
  // Trusted proxies are skipped from the right; the rightmost untrusted hop is the client.
  assert.equal(access.clientIp(fake('fd00::1', '2001:db8::7, 2a00::9, fd00::2')), '2a00::9')
  // From an untrusted peer the header is ignored.
  assert.equal(access.clientIp(fake('2a00::5', '2001:db8::7')), '2a00::5')
  assert.ok(access.isAllowed('2a00::5'))
})

test('X-Forwarded-For is ignored without trusted proxies: a spoofed address does not change the decision', async (t) => {
  const mock = await startMock(t)
  const denyTen = await startRelay(t, config(mock.url, { access: { ip: { deny: ['10.0.0.0/8'] } } }))
  assert.equal((await post(denyTen.url, { 'x-forwarded-for': '10.1.2.3' })).status, 200)
  const allowTen = await startRelay(t, config(mock.url, { access: { ip: { allow: ['10.0.0.0/8'] } } }))
  assertForbidden(await post(allowTen.url, { 'x-forwarded-for': '10.1.2.3', 'x-real-ip': '10.1.2.3' }))
  assert.equal(mock.requests.length, 1)
  assert.equal(mock.requests[0]!.headers['x-forwarded-for'], undefined, 'the client address is not sent upstream')
})

test('X-Forwarded-For from a trusted proxy (127.0.0.1/32) names the client', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, config(mock.url, { server: { trustedProxies: ['127.0.0.1/32'] }, access: { ip: { deny: ['10.0.0.0/8'] } } }))
  assertForbidden(await post(relay.url, { 'x-forwarded-for': '10.1.2.3' }))
  // Our own proxy appended itself: skipped, the hop before it is the client.
  assertForbidden(await post(relay.url, { 'x-forwarded-for': '10.1.2.3, 127.0.0.1' }))
  // The leftmost entry can be forged by the client; the rightmost untrusted hop decides.
  assert.equal((await post(relay.url, { 'x-forwarded-for': '10.1.2.3, 192.0.2.7' })).status, 200)
  // No header: the proxy itself is the client.
  assert.equal((await post(relay.url)).status, 200)
  assert.equal(mock.requests.length, 2)
  for (const entry of mock.requests) assert.equal(entry.headers['x-forwarded-for'], undefined)

  const allowOnly = await startRelay(t, config(mock.url, { server: { trustedProxies: ['127.0.0.1/32'] }, access: { ip: { allow: ['10.0.0.0/8'] } } }))
  assert.equal((await post(allowOnly.url, { 'x-forwarded-for': '10.1.2.3' })).status, 200)
  assertForbidden(await post(allowOnly.url, { 'x-forwarded-for': '203.0.113.9' }))
})
