import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import OpenAI from 'openai'
import { request } from 'undici'
import { maxJsonDepth } from '../../src/http/json-depth.js'
import type { RequestRecord } from '../../src/records/record.js'
import { createRecordStore } from '../../src/storage/record-store.js'
import { startCli } from '../helpers/cli.js'
import { startMock } from '../helpers/mock.js'
import { freePort } from '../helpers/ports.js'
import { startRelay, type TestRelay } from '../helpers/relay.js'

// Issue 13: four defects that hostile input found, each shown over real sockets.

interface Answer {
  status: number
  body: string
}

/** node:http with the path exactly as given: undici and fetch would normalise `%2e` and `\`. */
function raw(url: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const req = httpRequest({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

function errorCode(answer: Answer): string | undefined {
  return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code
}

/** `depth` arrays, one inside the other, as JSON text (JSON.stringify itself overflows on 10,000). */
function nestedJson(depth: number): string {
  return `${'['.repeat(depth)}"bottom"${']'.repeat(depth)}`
}

/** A chat body nesting `depth` levels of arrays and objects in all (the body object counts as one). */
function chatNested(depth: number, extra: Record<string, unknown> = {}): string {
  // body object → messages array → message object → content: depth - 3 arrays
  const head = JSON.stringify({ model: 'gpt-4o-mini', ...extra }).slice(0, -1)
  return `${head},"messages":[{"role":"user","content":${nestedJson(depth - 3)}}]}`
}

const boundary = 'XyZ'
const formHead = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n`
const filePart = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF....WAVEfmt `

test('issue 13.1: a multipart form that ends early gets 400 naming the form, and the gateway process keeps serving', async (t) => {
  const mock = await startMock(t)
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-hostile-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'relay.yaml'), `routes:\n  - path: /\n    upstreams: [{ url: "${mock.url}", keys: [sk-hostile-upstream], models: { allow: [whisper-1] } }]\n`)
  const port = await freePort()
  // Its own process: an 'error' event nobody listens to ends the process, which a test runner would hide.
  const cli = startCli(t, ['run', '--config', 'relay.yaml', '--host', '127.0.0.1', '--port', String(port)], { cwd: dir, entry: 'src' })
  await cli.waitFor(/backends/, 60_000)
  const url = `http://127.0.0.1:${port}`
  const forms: Record<string, { contentType: string; body: string }> = {
    'a file part that simply ends': { contentType: `multipart/form-data; boundary=${boundary}`, body: formHead + filePart },
    'a field part that simply ends': { contentType: `multipart/form-data; boundary=${boundary}`, body: `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhis` },
    'complete parts without the closing boundary': { contentType: `multipart/form-data; boundary=${boundary}`, body: `${formHead}${filePart}\r\n` },
    'no boundary parameter': { contentType: 'multipart/form-data', body: formHead },
  }
  for (const [name, form] of Object.entries(forms)) {
    const answer = await raw(url, '/v1/audio/transcriptions', { method: 'POST', headers: { 'content-type': form.contentType }, body: form.body })
    assert.equal(answer.status, 400, `${name}: ${answer.body}`)
    assert.equal(errorCode(answer), 'RELAY_ERR_BAD_FORM', name)
    assert.match(answer.body, /multipart\/form-data body is malformed/, name)
  }
  assert.equal(cli.child.exitCode, null, `the gateway exited:\n${cli.output()}`)
  assert.equal(mock.requests.length, 0, 'no malformed form reached the upstream')
  // Still serving: a well-formed upload goes through.
  const good = await raw(url, '/v1/audio/transcriptions', {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: `${formHead}${filePart}\r\n--${boundary}--\r\n`,
  })
  assert.equal(good.status, 200, good.body)
  assert.match(good.body, /with whisper-1/)
  assert.doesNotMatch(cli.output(), /Unhandled|terminated early/)
})

test('issue 13.2: dot segments in any encoding get 400 and never reach the upstream; look-alikes still pass', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', type: 'general', upstreams: [{ url: `${mock.url}/base/v1`, keys: ['sk-hostile-dots'] }] }] })
  const refused = [
    '/..',
    '/./admin',
    '/%2e%2e/%2e%2e/admin',
    '/.%2e/admin',
    '/%2e./admin',
    '/%2E%2E/admin',
    '/v1/%2e',
    '/v1/..%2fadmin',
    '/v1/..%2Fadmin',
    '/v1%2f..%2fadmin',
    '/v1/%2e%2e%5cadmin',
    '/v1/..%5Cadmin',
    '/v1/..\\admin',
    '/v1\\..\\admin',
    '/%252e%252e/admin',
    '/%25252e%25252e/admin',
    '/..;/admin',
    '/v1/%2e%2e?x=1',
  ]
  for (const path of refused) {
    const answer = await raw(relay.url, path)
    assert.equal(answer.status, 400, `${path}: ${answer.body}`)
    assert.equal(errorCode(answer), 'RELAY_ERR_BAD_PATH', path)
  }
  assert.deepEqual(
    mock.requests.map((seen) => seen.url),
    [],
    'nothing reached the upstream',
  )
  const passed = ['/models/gpt-4.1', '/files/file-%2Dabc', '/a..b', '/...', '/.well-known', '/x%2fy', '/x?path=/../..']
  for (const path of passed) {
    const answer = await raw(relay.url, path)
    assert.notEqual(errorCode(answer), 'RELAY_ERR_BAD_PATH', path)
  }
  assert.deepEqual(
    mock.requests.map((seen) => seen.url),
    passed.map((path) => `/base/v1${path}`),
  )
})

test(`issue 13.3: JSON nested deeper than ${maxJsonDepth} levels gets 400, never 500, with the cache, quotas, usage and records all on`, async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    records: { level: 'full', flushInterval: '50ms' },
    limits: { tokens: [{ limit: '1000000/minute', per: 'client' }] },
    routes: [
      { path: '/always', cache: 'always', upstreams: [{ url: mock.url, keys: ['sk-hostile-deep'] }] },
      { path: '/optin', cache: 'opt-in', upstreams: [{ url: mock.url, keys: ['sk-hostile-deep'] }] },
    ],
  })
  const deep = 10_000
  const bodies: Record<string, string> = {
    'a deep message on a caching route': chatNested(deep),
    'a deep stream (usage asked for)': chatNested(deep, { stream: true }),
    'a deep body with the caching flag': chatNested(deep, { caching: true }),
    'deep tools (token count)': `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"tools":${nestedJson(deep)}}`,
    'one level too deep': chatNested(maxJsonDepth + 1),
  }
  for (const prefix of ['/always', '/optin']) {
    for (const [name, body] of Object.entries(bodies)) {
      const answer = await raw(relay.url, `${prefix}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      assert.equal(answer.status, 400, `${prefix}, ${name}: ${answer.body}`)
      assert.equal(errorCode(answer), 'RELAY_ERR_BAD_JSON', `${prefix}, ${name}`)
      assert.match(answer.body, new RegExp(`more than ${maxJsonDepth} levels deep`))
    }
  }
  assert.equal(mock.requests.length, 0)
  // The limit itself is allowed, through every one of those paths.
  const atLimit = chatNested(maxJsonDepth, { stream: true, caching: true })
  const answer = await raw(relay.url, '/optin/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: atLimit })
  assert.equal(answer.status, 200, answer.body)
  assert.match(answer.body, /data: \[DONE\]/)
  assert.equal(mock.requests.length, 1)
})

/** The gateway's SQLite records once `count` are there (written in batches). */
async function recordsOf(relay: TestRelay, count: number): Promise<RequestRecord[]> {
  const store = createRecordStore({ backend: 'sqlite', path: join(relay.dir, 'data', 'records.sqlite') })
  try {
    const deadline = Date.now() + 30_000
    for (;;) {
      const found = await store.query({})
      if (found.length >= count || Date.now() > deadline) return found
      await sleep(50)
    }
  } finally {
    await store.close()
  }
}

test('issue 13.4: one hostile body among many at records level full loses no record, its own included', async (t) => {
  const mock = await startMock(t)
  // A long interval: every request below lands in one batch, which the hostile body used to fail whole.
  const relay = await startRelay(t, { records: { level: 'full', flushInterval: '2s' }, routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-hostile-batch'] }] }] })
  const client = new OpenAI({ apiKey: 'anything', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const asked = async (index: number) => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `request ${index}` }] })
  await Promise.all([0, 1, 2].map(asked))
  const hostile = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatNested(10_000) })
  assert.equal(hostile.statusCode, 400)
  await hostile.body.dump()
  await Promise.all([3, 4, 5].map(asked))
  const records = await recordsOf(relay, 7)
  assert.equal(records.length, 7, `records kept: ${records.map((record) => record.status).join(', ')}`)
  assert.deepEqual(records.map((record) => record.status).sort(), [200, 200, 200, 200, 200, 200, 400])
  const refused = records.find((record) => record.status === 400)!
  assert.match(refused.error ?? '', /levels deep/)
  const texts = records.flatMap((record) => ((record.content?.request as { messages?: { content: string }[] } | undefined)?.messages ?? []).map((message) => message.content))
  assert.deepEqual(texts.sort(), ['request 0', 'request 1', 'request 2', 'request 3', 'request 4', 'request 5'])
  assert.ok(!relay.logs.some((line) => line.includes('cannot be written')), 'no batch failed')
})

// The store side of 13.4 (a record that cannot be serialised, on every backend) is in test/contract/record-store.ts.

test('issue 13: a malformed form where no rule needs the model is forwarded untouched (the gateway does not read it)', async (t: TestContext) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-hostile-optional'] }] }] })
  const body = formHead + filePart
  const answer = await raw(relay.url, '/echo', { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body })
  assert.equal(answer.status, 200)
  assert.equal(answer.body, body)
})

/** Writes raw bytes on a new connection and reads until the server closes it. */
function rawSocket(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(Buffer.from(bytes, 'latin1')))
    let text = ''
    socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk))
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
}

test("issue 13: requests Node's parser refuses get OpenAI's error shape (400, 431) and a closed connection; a HEAD gets no body", async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { routes: [{ path: '/', upstreams: [{ url: mock.url, keys: ['sk-hostile-parser'] }] }] })
  const cases: [string, string, number, string][] = [
    ['a byte not allowed in the path', 'GET /v1/mod\u00e9ls HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'RELAY_ERR_BAD_REQUEST'],
    ['Content-Length beside Transfer-Encoding', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'RELAY_ERR_BAD_REQUEST'],
    ['a header without a colon', 'GET /v1/models HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n', 400, 'RELAY_ERR_BAD_REQUEST'],
    ['headers over 16 KiB', `GET /v1/models HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'RELAY_ERR_HEADERS_TOO_LARGE'],
  ]
  for (const [name, bytes, status, code] of cases) {
    const answer = await rawSocket(relay.url, bytes)
    assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), name)
    assert.match(answer, /\r\nconnection: close\r\n/i, name)
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4)
    assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, code, name)
  }
  const head = await rawSocket(relay.url, 'HEAD /v1/mod\u00e9ls HTTP/1.1\r\nHost: x\r\n\r\n')
  assert.match(head, /^HTTP\/1\.1 400 /)
  assert.ok(head.endsWith('\r\n\r\n'), `a HEAD answer carries no body: ${JSON.stringify(head)}`)
  assert.equal(mock.requests.length, 0)
})
