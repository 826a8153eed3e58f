import assert from 'node:assert/strict'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { test } from 'node:test'
import fc from 'fast-check'
import { fuzzSettings } from '../helpers/fuzz.js'
import { metricValue } from '../helpers/metrics.js'
import { startMock } from '../helpers/mock.js'
import { eventually, startRelay } from '../helpers/relay.js'

// Issue 13, "Done when": the fuzzing that found its four defects, run on every `npm test` with a fixed
// seed. Random paths, methods, headers, JSON and multipart bodies go over real sockets to a gateway
// with every feature that reads a body turned on. Issue 18 builds the long form of this suite.

const secrets = ['sk-fuzz-upstream-secret', 'sk-fuzz-level-secret', 'fk-fuzz-forward-secret']
const forwardKey = 'fk-fuzz-forward-secret'
const { seed, numRuns } = fuzzSettings(13)

interface Case {
  method: string
  path: string
  headers: Record<string, string>
  body: Buffer | undefined
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** node:http sends the path and headers exactly as given (undici would normalise or refuse some). */
function send(url: string, sent: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    // Node frames a GET, HEAD, DELETE or OPTIONS body only when told its length.
    const headers = sent.body === undefined ? sent.headers : { ...sent.headers, 'content-length': String(sent.body.length) }
    const req = httpRequest({ hostname, port, path: sent.path, method: sent.method, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('latin1').on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(sent.body)
  })
}

// ---- paths ---------------------------------------------------------------------------------------

const pathChar = fc.constantFrom(...'abcxyz019-_.~%/\\;:@!$&\'()*+,=[]{}|^`"<>\u00e9\u00ff'.split(''))
const segment = fc.oneof(
  fc.constantFrom('v1', 'chat', 'completions', 'embeddings', 'audio', 'transcriptions', 'models', 'gpt-4o-mini', 'echo', 'healthz', 'metrics'),
  fc.constantFrom('..', '.', '%2e%2e', '%2E.', '.%2e', '%2f', '%2F..', '%5c', '..%5C', '%252e%252e', '..;', '%00', '%ff', '%', '%%', '%zz', '\\..', ''),
  fc.string({ unit: pathChar, maxLength: 12 }),
)
const prefix = fc.constantFrom('/v1', '/always/v1', '/raw', '', '/v1/chat/completions', '/always/v1/chat/completions', '/v1/audio/transcriptions')
const query = fc.option(fc.string({ unit: fc.constantFrom(...'a=&?/%.2e#x'.split('')), maxLength: 16 }).map((text) => `?${text}`), { nil: '' })
const path = fc.tuple(prefix, fc.array(segment, { maxLength: 5 }), query).map(([start, parts, rest]) => `${start}${parts.length > 0 ? `/${parts.join('/')}` : ''}${rest}` || '/')

// ---- headers -------------------------------------------------------------------------------------

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_!#$%&\'*+.^`|~'.split(''))
const headerName = fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 })
// Visible ASCII and Latin-1 bytes (invalid UTF-8 once on the wire); Node's client refuses CR, LF and NUL.
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code)), maxLength: 64 })
// Framing headers are the client library's to write; x-mock-* would ask the mock upstream to misbehave.
const framing = /^(content-length|transfer-encoding|connection|host|expect|upgrade|te|trailer|keep-alive|x-mock-.*)$/i
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'multipart/form-data; boundary=XyZ',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'text/plain',
  'application/x-www-form-urlencoded',
  'json',
)
const authorization = fc.oneof(fc.constant(`Bearer ${forwardKey}`), fc.constant('Bearer sk-not-ours'), fc.constant('Basic Zm9vOmJhcg=='), headerValue)
const headers = fc
  .record(
    {
      'content-type': fc.oneof(contentType, headerValue),
      authorization,
      'x-request-id': headerValue,
      'x-forwarded-for': fc.oneof(fc.constantFrom('1.2.3.4', '::1, 10.0.0.1', 'garbage', ''), headerValue),
      'x-relay-cache': fc.oneof(fc.constantFrom('true', 'false', 'bypass'), headerValue),
      'accept-encoding': fc.constantFrom('gzip', 'br', 'identity', '*'),
      origin: headerValue,
    },
    { requiredKeys: [] },
  )
  .chain((known) => fc.dictionary(headerName, headerValue, { maxKeys: 4 }).map((extra) => ({ ...extra, ...known })))
  .map((all) => Object.fromEntries(Object.entries(all).filter(([name]) => !framing.test(name))))

// ---- bodies --------------------------------------------------------------------------------------

const anything = fc.jsonValue({ maxDepth: 4 })
const chatBody = fc.record(
  {
    model: fc.oneof(fc.constantFrom('gpt-4o-mini', 'gpt-4o', 'whisper-1', 'not-allowed'), anything),
    messages: fc.oneof(fc.array(fc.record({ role: fc.constantFrom('user', 'system', 'assistant', 'tool'), content: fc.oneof(fc.string(), anything) }), { maxLength: 3 }), anything),
    stream: fc.oneof(fc.boolean(), anything),
    stream_options: fc.oneof(fc.constant({ include_usage: true }), anything),
    caching: fc.oneof(fc.boolean(), anything),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.constantFrom(1e12, -1e308, 1.5, 2 ** 53 + 1), anything),
    n: fc.oneof(fc.integer({ min: -2, max: 4 }), anything),
    tools: anything,
    __proto__: anything,
    constructor: anything,
  },
  { requiredKeys: [] },
)
const deepJson = fc.integer({ min: 100, max: 20_000 }).map((depth) => `{"model":"gpt-4o-mini","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`)
const surrogates = fc.string({ unit: 'binary', maxLength: 20 }).map((text) => `{"model":"gpt-4o-mini","messages":[{"role":"user","content":${JSON.stringify(text)}}],"x":"\\ud800"}`)
const jsonText = fc.oneof(
  chatBody.map((body) => JSON.stringify(body)),
  anything.map((value) => JSON.stringify(value)),
  deepJson,
  surrogates,
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '{', '{"model":', '[]', 'null', '1e999999', '{"model":"gpt-4o-mini","stream":"yes"}', '\u0000'),
)
const formPart = fc.record({ name: fc.oneof(fc.constantFrom('model', 'file', 'response_format'), fc.string({ maxLength: 8 })), value: fc.string({ maxLength: 30 }), file: fc.boolean() })
const multipart = fc
  .tuple(fc.array(formPart, { maxLength: 4 }), fc.boolean(), fc.nat())
  .map(([parts, closed, cut]) => {
    let text = ''
    for (const part of parts) {
      const filename = part.file ? `; filename="a.wav"\r\nContent-Type: audio/wav` : ''
      text += `--XyZ\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n\r\n${part.value}\r\n`
    }
    if (closed) text += '--XyZ--\r\n'
    // Cut anywhere: the form may end inside a header, a value or a boundary.
    return text.slice(0, text.length === 0 ? 0 : cut % (text.length + 1))
  })
const body = fc.oneof(
  { weight: 5, arbitrary: jsonText.map((text) => Buffer.from(text)) },
  { weight: 3, arbitrary: multipart.map((text) => Buffer.from(text, 'latin1')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
)

/** The test's own reading of a dot segment, decoded twice as a careless proxy might (independent of src/http/pathname.ts). */
function dotSegmentIn(url: string): boolean {
  let path = url.split('?')[0]!
  for (let round = 0; round < 3; round++) {
    if (/(^|[/\\])\.\.?([/\\;]|$)/.test(path)) return true
    path = path.replaceAll(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
  }
  return false
}

const method = fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD')
const requestCase: fc.Arbitrary<Case> = fc.record({ method, path, headers, body }).filter((sent) => !sent.body?.includes('"mock"'))

test(`issue 13: ${numRuns} fuzzed requests (paths, headers, JSON and multipart bodies; seed ${seed}) get no 5xx, leak no key, reach the upstream only on safe paths`, async (t) => {
  const mock = await startMock(t)
  const upstream = (name: string) => ({ name, url: mock.url, keys: ['sk-fuzz-upstream-secret'], models: { allow: ['gpt-4o-mini', 'gpt-4o', 'whisper-1', 'text-embedding-3-small'] } })
  const relay = await startRelay(t, {
    access: {
      forwardKeys: [{ key: forwardKey, level: 1 }],
      levels: [{ level: 1, models: ['gpt-4o-mini', 'whisper-1'], keys: ['sk-fuzz-level-secret'] }],
    },
    limits: { requests: [{ limit: '1000000/minute', per: 'client' }], tokens: [{ limit: '1000000000/minute', per: 'client' }] },
    records: { level: 'full', headers: true, flushInterval: '100ms' },
    routes: [
      { path: '/', cache: 'opt-in', upstreams: [upstream('main')] },
      { path: '/always', cache: 'always', upstreams: [upstream('cached')] },
      { path: '/raw', type: 'general', upstreams: [{ name: 'raw', url: `${mock.url}/base`, keys: ['sk-fuzz-upstream-secret'] }] },
    ],
  })
  let sent = 0
  await fc.assert(
    fc.asyncProperty(requestCase, async (fuzzed) => {
      const seenBefore = mock.requests.length
      const answer = await send(relay.url, fuzzed)
      sent++
      const shown = `${fuzzed.method} ${fuzzed.path} → ${answer.status} ${answer.body.slice(0, 300)}`
      assert.ok(answer.status < 500, `a 5xx: ${shown}`)
      assert.doesNotMatch(answer.body, /RELAY_ERR_INTERNAL/, shown)
      const everything = `${answer.body}\n${JSON.stringify(answer.headers)}`
      for (const secret of secrets) assert.ok(!everything.includes(secret), `the answer shows ${secret}: ${shown}`)
      for (const seen of mock.requests.slice(seenBefore)) {
        assert.ok(!dotSegmentIn(seen.url), `a dot segment reached the upstream: ${seen.url}`)
        assert.ok(!JSON.stringify(seen.headers).includes(forwardKey), `the forward key reached the upstream: ${shown}`)
      }
    }),
    { seed, numRuns, endOnFailure: true, includeErrorInReport: true },
  )
  assert.equal(sent, numRuns)
  // Everything finished: nothing is left in flight.
  await eventually(() => true)
  let inFlight = -1
  for (let tries = 0; tries < 100 && inFlight !== 0; tries++) {
    inFlight = await metricValue(relay.url, 'llm_relay_requests_in_flight')
    if (inFlight !== 0) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  assert.equal(inFlight, 0, 'requests in flight after the run')
  assert.ok(!relay.logs.some((line) => line.includes('cannot be written')), 'every record batch was written')
})
