import assert from 'node:assert/strict'
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { test } from 'node:test'
import fc from 'fast-check'
import type { MockRequest } from '../../src/mock-upstream/index.js'
import { fuzzSettings } from '../helpers/fuzz.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 18 point 5, query strings: fuzz-requests sends queries of a ten-letter alphabet; here any
// query goes to every kind of path: any byte percent-encoded or sent raw (quotes, brackets, Latin-1
// bytes, broken escapes such as %zz and %ff%fe, encoded CR/LF and NUL), repeated keys, `api-version`
// and Gemini's `key=`, empty pairs, very long queries. Relayed paths (an OpenAI route, a general
// route, one whose upstream URL has a query of its own, a Gemini route), the gateway's /healthz,
// /readyz and /metrics and the admin API: never a 5xx from the gateway itself, never a key in an
// answer or in a URL sent upstream, and the query the upstream gets is byte for byte the client's,
// except where docs/ say otherwise (the upstream URL's own query first; a translated request such
// as Gemini's carries none of the client's).

const { seed, numRuns } = fuzzSettings(18)

const UPSTREAM_KEY = 'sk-query-upstream-secret-3f90'
const FORWARD_KEY = 'fk-query-forward-secret-a1b2'
const OTHER_FORWARD_KEY = 'fk-query-other-secret-c3d4'
const METRICS_TOKEN = 'metrics-query-secret-77e1'
const ADMIN = 'admin-password-query-5c2d'
const secrets = [UPSTREAM_KEY, FORWARD_KEY, OTHER_FORWARD_KEY, METRICS_TOKEN, ADMIN]
/** The upstream URL's own query on the /based route: docs/config.md, sent before the client's. */
const BASE_QUERY = 'api-version=2024-10-21&fixed=1'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 })

/** node:http sends the request target as given, as Latin-1 bytes (undici would normalise or refuse some). */
function send(base: string, path: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base)
    const sent = body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
    const req = httpRequest({ hostname, port, path, method, headers: sent, agent }, (res) => {
      let text = ''
      res.setEncoding('latin1').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

// ---- queries --------------------------------------------------------------------------------------

const hex = (byte: number) => `%${byte.toString(16).padStart(2, '0')}`
/** Any bytes, each percent-encoded (upper or lower case hex). */
const encodedBytes = fc.tuple(fc.uint8Array({ maxLength: 24 }), fc.boolean()).map(([bytes, upper]) => [...bytes].map((byte) => (upper ? hex(byte).toUpperCase() : hex(byte))).join(''))
/** Any text, UTF-8 and percent-encoded as a form would. */
const encodedText = fc.string({ unit: 'binary', maxLength: 16 }).map((text) => [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : hex(byte))).join(''))
// Raw in a request target: visible ASCII (Node's parser takes it) but `#`, where a fragment begins.
const rawChar = fc
  .integer({ min: 0x21, max: 0x7e })
  .filter((code) => code !== 0x23)
  .map((code) => String.fromCharCode(code))
/** A raw byte Node's parser refuses in a URL (DEL, Latin-1): the request is answered 400 before any route. */
const unparsable = /[\u007f-\u00ff]/
const brokenOrSpecial = fc.constantFrom('%', '%%', '%zz', '%2', '%ff%fe', '%c0%af', '%ed%a0%80', '%00', '%0d%0a', '%0D%0AX-Injected:%201', '%u0041', '%2e%2e%2f', '../', '?', '&&', '==', '+', '%2B', '%26', '%3D', ';', "'", '"', '\\', '[]', '[$ne]')
const piece = fc.oneof(
  { weight: 6, arbitrary: encodedText },
  { weight: 4, arbitrary: encodedBytes },
  { weight: 4, arbitrary: fc.string({ unit: rawChar, maxLength: 12 }) },
  { weight: 4, arbitrary: brokenOrSpecial },
  { weight: 1, arbitrary: fc.integer({ min: 0x7f, max: 0xff }).map((code) => String.fromCharCode(code)) },
)
const word = fc.array(piece, { maxLength: 4 }).map((pieces) => pieces.join(''))
const key = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('api-version', 'API-VERSION', 'api%2Dversion', 'key', 'KEY', 'alt', 'model', 'stream', 'beta', 'x-goog-api-key', 'authorization', 'a[b]', 'a[]', '__proto__', 'constructor', '') },
  { weight: 2, arbitrary: word },
)
const value = fc.oneof(
  { weight: 5, arbitrary: word },
  { weight: 1, arbitrary: fc.constantFrom('2024-10-21', 'sse', 'true', 'sk-not-ours-123', 'AIzaNotOurs', '1e400', '-1') },
  // Very long: past 16 KiB the request line alone is larger than Node reads (431).
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 24_000 }).chain((length) => fc.constantFrom('a'.repeat(length), '%41'.repeat(Math.ceil(length / 3)), '%0d%0a'.repeat(Math.ceil(length / 6)))) },
)
const pair = fc.tuple(key, value, fc.nat(9)).map(([name, text, form]) => (form === 0 ? name : `${name}=${text}`))
const query = fc.oneof(
  { weight: 8, arbitrary: fc.array(pair, { maxLength: 5 }).chain((pairs) => fc.nat(4).map((repeat) => (repeat === 0 && pairs.length > 0 ? [...pairs, pairs[0]!] : pairs).join('&'))).map((text) => `?${text}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '?', '??', '?&', '?=', '?&&=&', '?#') },
)

// ---- targets --------------------------------------------------------------------------------------

type Target = 'chat' | 'raw' | 'based' | 'gemini' | 'healthz' | 'readyz' | 'metrics' | 'admin-me' | 'admin-meta' | 'admin-missing' | 'unrouted'
const targets: Target[] = ['chat', 'chat', 'chat', 'raw', 'raw', 'based', 'based', 'gemini', 'healthz', 'readyz', 'metrics', 'admin-me', 'admin-meta', 'admin-missing', 'unrouted']

interface Plan {
  listener: 'relay' | 'admin'
  method: string
  path: string
  headers: Record<string, string>
  body?: string
  /** The URL the upstream must receive: the client's query as documented; undefined when nothing is relayed. */
  upstreamUrl?: (query: string) => string
  /** The status a request of an ordinary size gets. */
  status: number
}

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
const embeddingsBody = JSON.stringify({ model: 'text-embedding-3-small', input: 'hi' })
const asClient = { authorization: `Bearer ${FORWARD_KEY}` }

function planOf(target: Target): Plan {
  switch (target) {
    case 'chat':
      return { listener: 'relay', method: 'POST', path: '/v1/chat/completions', headers: asClient, body: chatBody, upstreamUrl: (q) => `/v1/chat/completions${q}`, status: 200 }
    case 'raw':
      return { listener: 'relay', method: 'GET', path: '/raw/v1/models', headers: asClient, upstreamUrl: (q) => `/base/v1/models${q}`, status: 200 }
    case 'based': {
      // docs/config.md (upstreams.url): the URL's own query is sent first, then the client's.
      const merged = (q: string) => [BASE_QUERY, q.slice(1)].filter((part) => part !== '').join('&')
      return { listener: 'relay', method: 'POST', path: '/based/v1/embeddings', headers: asClient, body: embeddingsBody, upstreamUrl: (q) => `/base/v1/embeddings?${merged(q)}`, status: 200 }
    }
    case 'gemini':
      // A translated request: the gateway writes Gemini's URL itself and the key goes in x-goog-api-key, never in the URL.
      return { listener: 'relay', method: 'POST', path: '/gemini/v1/chat/completions', headers: asClient, body: chatBody, upstreamUrl: () => '/v1beta/models/gpt-4o-mini:generateContent', status: 200 }
    case 'healthz':
      return { listener: 'relay', method: 'GET', path: '/healthz', headers: {}, status: 200 }
    case 'readyz':
      return { listener: 'relay', method: 'GET', path: '/readyz', headers: {}, status: 200 }
    case 'metrics':
      return { listener: 'relay', method: 'GET', path: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` }, status: 200 }
    case 'admin-me':
      return { listener: 'admin', method: 'GET', path: '/admin/api/me', headers: { authorization: `Bearer ${ADMIN}` }, status: 200 }
    case 'admin-meta':
      return { listener: 'admin', method: 'GET', path: '/admin/api/meta', headers: { authorization: `Bearer ${ADMIN}` }, status: 200 }
    case 'admin-missing':
      return { listener: 'admin', method: 'GET', path: '/admin/api/nothing-here', headers: { authorization: `Bearer ${ADMIN}` }, status: 404 }
    case 'unrouted':
      // Relayed like any path under an OpenAI route; the upstream's 404 comes back.
      return { listener: 'relay', method: 'POST', path: '/v1/not-an-endpoint', headers: asClient, body: chatBody, upstreamUrl: (q) => `/v1/not-an-endpoint${q}`, status: 404 }
  }
}

test(`issue 18: ${numRuns} fuzzed query strings (seed ${seed}) on relayed paths, /healthz, /readyz, /metrics and the admin API: no 5xx, no key, forwarded byte for byte`, async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    admin: { port: 0, password: ADMIN },
    metrics: { token: METRICS_TOKEN },
    access: {
      forwardKeys: [
        { key: FORWARD_KEY, level: 0, name: 'fuzzer' },
        { key: OTHER_FORWARD_KEY, level: 0, name: 'other' },
      ],
    },
    limits: { requests: [{ limit: '1000000/minute', per: 'client' }] },
    records: { flushInterval: '100ms' },
    routes: [
      { path: '/raw', type: 'general', upstreams: [{ name: 'raw', url: `${mock.url}/base`, keys: [UPSTREAM_KEY] }] },
      { path: '/based', type: 'general', upstreams: [{ name: 'based', url: `${mock.url}/base?${BASE_QUERY}`, keys: [UPSTREAM_KEY] }] },
      { path: '/gemini', upstreams: [{ name: 'gemini', provider: 'gemini', url: mock.url, keys: [UPSTREAM_KEY] }] },
      { path: '/', upstreams: [{ name: 'main', url: mock.url, keys: [UPSTREAM_KEY] }] },
    ],
  })
  assert.ok(relay.admin !== undefined)
  const bases = { relay: relay.url, admin: relay.admin.url }
  const started = performance.now()
  const seen = { forwarded: 0, tooLarge: 0, unparsable: 0 }
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...targets), query, async (target, q) => {
      const plan = planOf(target)
      const before = mock.requests.length
      const path = `${plan.path}${q}`
      const answer = await send(bases[plan.listener], path, plan.method, plan.headers, plan.body)
      await relay.quiet()
      const reached: MockRequest[] = mock.requests.slice(before)
      const shown = `${target} ${plan.method} ${path.slice(0, 300)}${path.length > 300 ? '…' : ''} → ${answer.status} ${answer.text.slice(0, 300)}`
      assert.ok(answer.status < 500, `a 5xx: ${shown}`)
      const everything = `${answer.text}\n${JSON.stringify(answer.headers)}`
      for (const secret of secrets) assert.ok(!everything.includes(secret), `the answer shows ${secret}: ${shown}`)
      for (const request of reached) assert.ok(!request.url.includes(UPSTREAM_KEY), `the key went upstream in the URL: ${request.url.slice(0, 300)}`)
      if (unparsable.test(path)) {
        assert.equal(answer.status, 400, shown)
        assert.match(answer.text, /"code":"RELAY_ERR_BAD_REQUEST"/, `the catalogue's JSON error: ${shown}`)
        assert.equal(reached.length, 0, shown)
        seen.unparsable++
        return
      }
      if (answer.status !== plan.status) {
        // Only a request line larger than the gateway reads may be refused, and then in the catalogue's JSON.
        assert.ok(Buffer.byteLength(path, 'latin1') > 8000, `expected ${plan.status}: ${shown}`)
        assert.ok(answer.status === 431 || answer.status === 414 || (answer.status >= 400 && reached.length > 0), shown)
        if (reached.length === 0) assert.match(answer.text, /^\{"error":\{/, `a JSON error: ${shown}`)
        seen.tooLarge++
        return
      }
      if (plan.upstreamUrl === undefined) {
        assert.equal(reached.length, 0, `nothing is relayed: ${shown}`)
        return
      }
      assert.equal(reached.length, 1, `one upstream request: ${shown}`)
      assert.equal(reached[0]!.url, plan.upstreamUrl(q), `the query upstream is the client's: ${shown}`)
      seen.forwarded++
    }),
    { seed, numRuns, endOnFailure: true, includeErrorInReport: true },
  )
  t.diagnostic(`${numRuns} fuzzed queries (seed ${seed}) in ${Math.round(performance.now() - started)} ms: ${seen.forwarded} relayed byte for byte, ${seen.tooLarge} too large, ${seen.unparsable} refused by the HTTP parser`)
  for (const secret of secrets) assert.ok(!relay.logs.join('\n').includes(secret), `the logs show ${secret}`)
})

test.after(() => agent.destroy())
