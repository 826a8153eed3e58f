import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import fc from 'fast-check'
import pg from 'pg'
import type { RequestRecord } from '../../src/records/record.js'
import { createRecordStore } from '../../src/storage/record-store.js'
import { fuzzSettings, sqlInjectionText } from '../helpers/fuzz.js'
import { startMock } from '../helpers/mock.js'
import { startRelay, type TestRelay } from '../helpers/relay.js'
import { databaseUrl } from '../helpers/services.js'

// Issue 18 point 5, over HTTP: every filter of the admin API (the request list's route, model,
// upstream, client, status, cache, id, since, until, before and limit; the live tail's filters and
// topics; a record by seq; the audit log's before and limit; the config export's secrets) gets hostile
// raw query strings: SQL fragments, quotes, LIKE wildcards, backslashes, NUL, bad percent-encoding,
// invalid UTF-8, very long values, repeated keys, bracket keys, huge and negative numbers. On SQLite
// and PostgreSQL alike each answer is a 200 with exactly the records that match (computed here from
// what was written) or a 4xx with a JSON error: never a 5xx, never a key, and the table is whole after.

const { seed, numRuns } = fuzzSettings(18)

const ADMIN = 'admin-password-filters-7b21'
const VIEWER = 'viewer-password-filters-40e9'
const UPSTREAM_KEY = 'sk-filters-upstream-secret-1d7c'
const ALICE_KEY = 'fk-filters-alice-secret-8a03'
const BOB_KEY = 'fk-filters-bob-secret-5e6f'
const secrets = [ADMIN, VIEWER, UPSTREAM_KEY, ALICE_KEY, BOB_KEY]

// Stored values are hostile too: what a client can put in a model name, what an operator can name an upstream or a key.
const MAIN_UPSTREAM = "main'; DROP TABLE request_records; --"
const CACHED_UPSTREAM = 'cache%_\\'
const ALICE = "alice' OR '1'='1"
const BOB = 'bob"%_\\'
const models = ['gpt-4o-mini', "' OR 1=1 --", '%', '_', '\\', "it's", 'a\u0000b', '𝔘𝔫𝔦', "x' UNION SELECT id FROM request_records --", 'm'.repeat(512)]

// ---- the raw HTTP exchange ------------------------------------------------------------------------

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 })

/** node:http sends the path as given (undici would normalise it); an event stream is closed once its headers are in. */
function send(base: string, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base)
    const sent = body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
    const req = httpRequest({ hostname, port, path, method, headers: sent, agent }, (res) => {
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' })
        return
      }
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

// ---- what the server should make of a raw query ---------------------------------------------------

/** Every reading of a raw value a query parser may fairly take: form-decoded, or kept as sent when its percent-encoding is broken. */
function readings(raw: string): string[] {
  const plus = raw.replaceAll('+', ' ')
  const found = new Set<string>()
  try {
    found.add(decodeURIComponent(plus))
  } catch {
    found.add(plus)
    found.add(raw)
    found.add(new URLSearchParams(`x=${raw}`).get('x')!)
  }
  return [...found]
}

/** The pairs of a raw query: key (decoded) and the readings of its value. */
function pairsOf(query: string): { key: string; values: string[] }[] {
  return query
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece) => {
      const equals = piece.indexOf('=')
      const rawKey = equals === -1 ? piece : piece.slice(0, equals)
      return { key: readings(rawKey)[0]!, values: readings(equals === -1 ? '' : piece.slice(equals + 1)) }
    })
}

type Row = Required<Pick<RequestRecord, 'id' | 'time' | 'status'>> & { seq: number; route?: string; model?: string; upstream?: string; clientId?: string; cache?: string }
type Expected = { kind: '4xx' } | { kind: '200' | 'either'; rows: Row[]; limit: number }

const codePoints = (text: string) => [...text].length
/** How a store holds filter text: well-formed UTF-8, and (PostgreSQL's text cannot hold NUL) U+FFFD for NUL there. */
const storedForm = (text: string, backend: Backend) => {
  const wellFormed = Buffer.from(text, 'utf8').toString('utf8')
  return backend === 'postgres' ? wellFormed.replaceAll('\u0000', '\uFFFD') : wellFormed
}

/** An integer parameter: 'strict' when it is plainly a number, 'either' when a validator may or may not coerce it (hex, exponent, huge), '4xx' when it cannot be one. */
function integerOf(text: string, min: number, max: number): { kind: 'strict' | 'either'; value: number } | { kind: '4xx' } {
  if (/^\d{1,15}$/.test(text)) return Number(text) >= min && Number(text) <= max ? { kind: 'strict', value: Number(text) } : { kind: '4xx' }
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) return { kind: '4xx' }
  return { kind: 'either', value }
}

const textFields = { route: 'route', model: 'model', upstream: 'upstream', client: 'clientId' } as const
const listKeys = ['route', 'model', 'upstream', 'client', 'status', 'cache', 'id', 'since', 'until', 'before', 'limit'] as const
const eventKeys = ['route', 'model', 'upstream', 'client', 'status', 'cache', 'id', 'topics'] as const

/** What one reading of the known parameters should give: the rows, newest first, or a refusal. */
function expectedFor(params: Map<string, string>, all: readonly Row[], backend: Backend): Expected {
  let rows = [...all]
  let either = false
  let limit = 50
  const refuse: Expected = { kind: '4xx' }
  for (const [key, value] of params) {
    if (Object.hasOwn(textFields, key)) {
      if (codePoints(value) > 512) return refuse
      const field = textFields[key as keyof typeof textFields]
      rows = rows.filter((row) => row[field] === storedForm(value, backend))
    } else if (key === 'status') {
      if (value === 'error') rows = rows.filter((row) => row.status >= 400)
      else if (/^[2-5]xx$/.test(value)) rows = rows.filter((row) => Math.floor(row.status / 100) === Number(value[0]))
      else if (value === '1xx') {
        // No answer is informational: refused, or nothing found.
        either = true
        rows = []
      } else if (/^[1-5]\d\d$/.test(value)) rows = rows.filter((row) => row.status === Number(value))
      else return refuse
    } else if (key === 'cache') {
      if (!['HIT', 'MISS', 'BYPASS'].includes(value)) return refuse
      rows = rows.filter((row) => row.cache === value)
    } else if (key === 'id') {
      if (value === '' || codePoints(value) > 256) return refuse
      rows = rows.filter((row) => row.id.startsWith(storedForm(value, backend)))
    } else if (key === 'since' || key === 'until' || key === 'limit') {
      const number = key === 'limit' ? integerOf(value, 1, 500) : integerOf(value, 0, Number.MAX_VALUE)
      if (number.kind === '4xx') return refuse
      if (number.kind === 'either') either = true
      if (key === 'since') rows = rows.filter((row) => row.time >= number.value)
      if (key === 'until') rows = rows.filter((row) => row.time < number.value)
      if (key === 'limit') limit = number.value
    } else if (key === 'before') {
      const match = /^([0-9]+):([0-9]+)$/.exec(value)
      if (match === null) return refuse
      if (match[1]!.length > 15 || match[2]!.length > 15) either = true
      const [time, seq] = [Number(match[1]), Number(match[2])]
      rows = rows.filter((row) => row.time < time || (row.time === time && row.seq < seq))
    } else if (key === 'topics') {
      if (!/^(stats|requests|config)(,(stats|requests|config))*$/.test(value)) return refuse
    }
  }
  return { kind: either ? 'either' : '200', rows, limit }
}

/** Every outcome the raw query may fairly have: one per combination of the readings of its known parameters. */
function outcomes(query: string, known: readonly string[], all: readonly Row[], backend: Backend): Expected[] {
  const pairs = pairsOf(query).filter((pair) => known.includes(pair.key))
  const keys = new Set(pairs.map((pair) => pair.key))
  // A filter given twice is ambiguous: refused, never half-applied.
  if (keys.size < pairs.length) return [{ kind: '4xx' }]
  let combinations: Map<string, string>[] = [new Map()]
  for (const pair of pairs) combinations = combinations.flatMap((combination) => pair.values.map((value) => new Map([...combination, [pair.key, value]])))
  return combinations.map((params) => expectedFor(params, all, backend))
}

// ---- the raw values -------------------------------------------------------------------------------

const unreserved = /[A-Za-z0-9\-._~]/
/** Every byte outside the unreserved set percent-encoded. */
const encode = (text: string) => [...Buffer.from(text, 'utf8')].map((byte) => (unreserved.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`)).join('')
const encodeBytes = (bytes: Uint8Array) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')

const sqlAndFriends = [
  ...sqlInjectionText,
  '\r\n',
  'ＧＰＴ',
  'GPT-4O-MINI',
  'gpt-4o-mini ',
  'x'.repeat(513),
  'm'.repeat(513),
]
/** Pieces sent as they are: legal in a request target, but quotes, brackets and broken percent-encoding. */
const rawPieces = [
  "'", '"', '\\', '(', ')', '*', '!', '$', ';', ',', ':', '@', '/', '?', '[', ']', '{', '}', '|', '^', '`', '<', '>', '~', '+', '=',
  '%', '%zz', '%ff%fe', '%00', '%0d%0a', '%2', '%%', '%u0041', '%C0%AF', '%ED%A0%80', '%27', '%25', '%5f', '%2B', '%E2%80', 'a', '1',
]

function arbitraries(all: readonly Row[]) {
  // Sorted: the rows' order (requests sent at once) must not change what a seed draws.
  const storedText = [...new Set(all.flatMap((row) => [row.route, row.model, row.upstream, row.clientId]).filter((text): text is string => text !== undefined))].sort()
  const text = fc.oneof(fc.constantFrom(...storedText, ...sqlAndFriends), fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 12 }))
  const general = fc.oneof(
    { weight: 4, arbitrary: text.map(encode) },
    { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom(...rawPieces), text.map(encode)), { minLength: 1, maxLength: 6 }).map((pieces) => pieces.join('')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map(encodeBytes) },
    { weight: 1, arbitrary: fc.integer({ min: 500, max: 6000 }).chain((length) => fc.constantFrom('a'.repeat(length), '%61'.repeat(Math.ceil(length / 3)), '%27'.repeat(Math.ceil(length / 3)))) },
  )
  const times = all.flatMap((row) => [row.time - 1, row.time, row.time + 1].map(String))
  const numbers = ['0', '1', '2', '3', '50', '500', '501', '-1', '-0', '1.5', '1e2', '1e400', '0x10', '%2012', '12%20', '99999999999999999999', '9007199254740993', 'NaN', 'Infinity', '', '%00', '1%00', '+1']
  const number = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...times, ...numbers) }, { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String) }, { weight: 1, arbitrary: general })
  const before = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...all.flatMap((row) => [`${row.time}:${row.seq}`, `${row.time}:${row.seq + 1}`, `${row.time + 1}:0`]), '0:0', '1:1', ':', '1:', ':1', '1:2:3', '99999999999999999999:1', '1:99999999999999999999', '%31:%31') },
    { weight: 1, arbitrary: general },
  )
  // Not deduplicated: a list whose length depended on random ids colliding would change what a seed draws.
  const ids = all.flatMap((row) => [row.id, row.id.slice(0, 1), row.id.slice(0, 8)])
  const byKey: Record<string, fc.Arbitrary<string>> = {
    route: fc.oneof(fc.constantFrom('%2F', '%2Fcached', '/', '/cached'), general),
    model: fc.oneof(fc.constantFrom(...models).map(encode), general),
    upstream: fc.oneof(fc.constantFrom(MAIN_UPSTREAM, CACHED_UPSTREAM).map(encode), general),
    client: fc.oneof(fc.constantFrom(...new Set(all.map((row) => row.clientId ?? '').sort())).map(encode), general),
    status: fc.oneof(fc.constantFrom('200', '400', '404', '2xx', '4xx', '1xx', '3xx', '5xx', 'error', 'ERROR', '4XX', '600', '099', '20', '2000', '%34xx', '200%00', '200%0A', '4xx%20', '2%78x'), fc.constantFrom('200', '400', '2xx', '4xx', 'error'), general),
    cache: fc.oneof(fc.constantFrom('HIT', 'MISS', 'BYPASS', 'hit', '%48IT', 'HIT%00', ''), fc.constantFrom('HIT', 'MISS', 'BYPASS'), general),
    id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids, '', 'hostile', 'hostile%5F', 'x'.repeat(257)) }, { weight: 1, arbitrary: general }),
    since: number,
    until: number,
    limit: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('1', '2', '3', '5', '8', '13', '50', '500') }, { weight: 1, arbitrary: number }),
    before,
    topics: fc.oneof(fc.constantFrom('requests', 'stats', 'config', 'stats,requests', 'requests,', ',', 'REQUESTS', 'requests%2Cstats'), general),
  }
  const known = fc.constantFrom(...listKeys, 'topics')
  const odd = fc.constantFrom('mod%65l', '%6Dodel', 'model[]', 'model%5B%5D', 'model[$ne]', 'model%5B%24ne%5D', 'status[gt]', '__proto__', 'constructor', 'prototype', 'secrets', 'x', '', '%zz', '%ff')
  const key = fc.oneof({ weight: 5, arbitrary: known }, { weight: 1, arbitrary: odd })
  const valueOf = (name: string): fc.Arbitrary<string> => {
    const decoded = readings(name)[0]!
    return Object.hasOwn(byKey, decoded) ? byKey[decoded]! : general
  }
  const pair = key.chain((name) => fc.tuple(fc.constant(name), valueOf(name), fc.nat(19)).map(([k, v, form]) => (form === 0 ? k : `${k}=${v}`)))
  const query = fc.array(pair, { maxLength: 3 }).chain((pairs) =>
    // A known key repeated now and then: ?model=a&model=b.
    fc
      .oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constantFrom(...listKeys).chain((name) => fc.tuple(byKey[name]!, byKey[name]!).map(([a, b]) => [`${name}=${a}`, `${name}=${b}`])) })
      .map((repeated) => [...pairs, ...repeated].join('&')),
  )
  const seqSegment = fc.oneof(fc.constantFrom(...all.map((row) => String(row.seq)), '0', '-1', '1e0', '%31', '1%00', '01', '99999999999999999999', '9007199254740993', '1.0', '..%2F', '%zz'), general)
  const auditQuery = fc.array(fc.tuple(fc.constantFrom('before', 'limit', 'x'), fc.oneof(fc.constantFrom('1', '2', '3', '50', '500', '501', '999'), number)).map(([name, value]) => `${name}=${value}`), { maxLength: 3 }).map((parts) => parts.join('&'))
  return { query, seqSegment, auditQuery, general }
}

// ---- the gateway and its records ------------------------------------------------------------------

type Backend = 'sqlite' | 'postgres'

interface Setup {
  relay: TestRelay
  admin: string
  rows: Row[]
  count(): Promise<number>
}

/** A fresh database of its own, dropped after the test: the row count and every expected set are this test's alone. */
async function freshDatabase(url: string): Promise<string> {
  const name = `llm_relay_admin_filters_${randomUUID().slice(0, 8)}`
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(`CREATE DATABASE ${name}`)
  await client.end()
  const own = new URL(url)
  own.pathname = `/${name}`
  return own.toString()
}

async function dropDatabase(url: string, own: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(`DROP DATABASE IF EXISTS ${new URL(own).pathname.slice(1)} WITH (FORCE)`)
  await client.end()
}

async function listAll(admin: string): Promise<Row[]> {
  const answer = await send(admin, '/admin/api/requests?limit=500', { authorization: `Bearer ${ADMIN}` })
  assert.equal(answer.status, 200, answer.text)
  return (JSON.parse(answer.text) as { records: Row[] }).records
}

async function setUp(t: TestContext, backend: Backend): Promise<Setup | undefined> {
  let records: { backend: Backend; url?: string } = { backend }
  let count: (relay: TestRelay) => Promise<number>
  if (backend === 'postgres') {
    const url = await databaseUrl(t)
    if (url === undefined) return undefined
    const own = await freshDatabase(url)
    records = { backend, url: own }
    count = async () => {
      const client = new pg.Client({ connectionString: own })
      await client.connect()
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM request_records')
      await client.end()
      return Number(rows[0]!.n)
    }
    t.after(() => dropDatabase(url, own))
  } else {
    count = async (relay) => {
      const store = createRecordStore({ backend: 'sqlite', path: join(relay.dir, 'data', 'records.sqlite') })
      try {
        return (await store.query({})).length
      } finally {
        await store.close()
      }
    }
  }
  const mock = await startMock(t)
  const relay = await startRelay(
    t,
    {
      admin: { port: 0, password: ADMIN, viewerPassword: VIEWER },
      access: {
        forwardKeys: [
          { key: ALICE_KEY, level: 0, name: ALICE },
          { key: BOB_KEY, level: 0, name: BOB },
        ],
      },
      records: { ...records, flushInterval: '50ms' },
      routes: [
        { path: '/cached', cache: 'always', upstreams: [{ name: CACHED_UPSTREAM, url: mock.url, keys: [UPSTREAM_KEY] }] },
        { path: '/', upstreams: [{ name: MAIN_UPSTREAM, url: mock.url, keys: [UPSTREAM_KEY] }] },
      ],
    },
    // Hostile filters are refused or answered; none is worth an error log, and failOnErrorLogs says so.
  )
  assert.ok(relay.admin !== undefined)
  const admin = relay.admin.url
  // The known records: every model by each client, some refused by the upstream, a cache MISS then HIT, ids of the client's own.
  const sent: Promise<Answer>[] = []
  const chat = (path: string, model: string, headers: Record<string, string>) =>
    send(relay.url, path, headers, 'POST', JSON.stringify({ model, messages: [{ role: 'user', content: `hello ${model.slice(0, 20)}` }] }))
  models.forEach((model, index) => {
    const key = [ALICE_KEY, BOB_KEY, undefined][index % 3]
    const headers: Record<string, string> = { ...(key !== undefined && { authorization: `Bearer ${key}` }), 'x-request-id': `hostile${['-', '_', '.', ':'][index % 4]}${index}` }
    sent.push(chat('/v1/chat/completions', model, headers))
  })
  sent.push(chat('/v1/chat/completions', 'gpt-4o-mini', { authorization: `Bearer ${ALICE_KEY}`, 'x-mock-status': '400' }))
  sent.push(chat('/v1/chat/completions', '%', { authorization: `Bearer ${BOB_KEY}`, 'x-mock-status': '404' }))
  for (const answer of await Promise.all(sent)) assert.ok(answer.status < 500, answer.text)
  for (let round = 0; round < 2; round++) {
    const answer = await chat('/cached/v1/chat/completions', "it's", { authorization: `Bearer ${ALICE_KEY}` })
    assert.equal(answer.status, 200, answer.text)
    await relay.quiet()
  }
  const written = models.length + 4
  await relay.quiet()
  let rows = await listAll(admin)
  for (const deadline = Date.now() + 10_000; rows.length < written && Date.now() < deadline; ) rows = await listAll(admin)
  assert.equal(rows.length, written, 'every request has its record')
  // The set covers what the filters tell apart.
  assert.ok(new Set(rows.map((row) => row.status)).size >= 3, 'statuses 200, 400 and 404')
  assert.ok(rows.some((row) => row.cache === 'HIT') && rows.some((row) => row.cache === 'MISS'))
  assert.ok(rows.some((row) => row.clientId?.includes(ALICE) === true) && rows.some((row) => row.clientId?.includes(BOB) === true))
  return { relay, admin, rows, count: () => count(relay) }
}

// ---- the property ---------------------------------------------------------------------------------

function assertNoSecret(answer: Answer, shown: string): void {
  const everything = `${answer.text}\n${JSON.stringify(answer.headers)}`
  for (const secret of secrets) assert.ok(!everything.includes(secret), `the answer shows ${secret}: ${shown}`)
}

function assertRefused(answer: Answer, shown: string): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `expected a 4xx: ${shown}`)
  assert.match(String(answer.headers['content-type']), /json/, `a JSON error: ${shown}`)
  const body = JSON.parse(answer.text) as { error?: { message?: unknown } }
  assert.equal(typeof body.error?.message, 'string', `an error body: ${shown}`)
}

/** Whether a list answer is one of the fair outcomes: the rows in order, their page's `next`, or a refusal. */
function fits(answer: Answer, expected: Expected): boolean {
  if (expected.kind === '4xx') return answer.status >= 400 && answer.status < 500
  if (answer.status !== 200) return expected.kind === 'either' && answer.status >= 400 && answer.status < 500
  const body = JSON.parse(answer.text) as { records: Row[]; next: string | null }
  const page = expected.rows.slice(0, expected.limit)
  const last = page.at(-1)
  const next = page.length === expected.limit && last !== undefined ? `${last.time}:${last.seq}` : null
  return JSON.stringify(body.records.map((row) => row.seq)) === JSON.stringify(page.map((row) => row.seq)) && body.next === next
}

type Endpoint = 'list' | 'events' | 'seq' | 'audit' | 'export'

async function check(t: TestContext, backend: Backend): Promise<void> {
  const setup = await setUp(t, backend)
  if (setup === undefined) return
  const { relay, admin, rows } = setup
  const countBefore = await setup.count()
  assert.equal(countBefore, rows.length)
  const login = await send(admin, '/admin/api/login', {}, 'POST', JSON.stringify({ password: VIEWER }))
  assert.equal(login.status, 200, login.text)
  const cookie = String(login.headers['set-cookie']).split(';')[0]!
  const callers = { admin: { authorization: `Bearer ${ADMIN}` }, viewer: { authorization: `Bearer ${VIEWER}` }, session: { cookie }, nobody: {} }
  // The cases that answered 500 before the fixes (whatever the seed draws): the catalogue's 400 now.
  for (const path of [
    '/admin/api/requests?status=1xx',
    '/admin/api/requests?limit=1e400',
    '/admin/api/requests?since=1e400',
    '/admin/api/requests?until=Infinity',
    '/admin/api/requests?since=99999999999999999999',
    '/admin/api/requests?before=99999999999999999999:1',
    '/admin/api/requests?before=1:99999999999999999999',
    '/admin/api/requests/99999999999999999999',
    '/admin/api/requests/%zz',
    '/admin/api/audit?limit=1e400',
    '/admin/api/audit?before=99999999999999999999',
    '/admin/api/events?status=1xx',
    '/admin/api/requests?model=\u00e9',
  ]) {
    const answer = await send(admin, path, callers.admin)
    assert.equal(answer.status, 400, `${path} → ${answer.status} ${answer.text}`)
    assert.match(answer.text, /"code":"RELAY_ERR_BAD_REQUEST"/, path)
  }
  const { query, seqSegment, auditQuery } = arbitraries(rows)
  const endpoint = fc.constantFrom<Endpoint>('list', 'list', 'list', 'list', 'list', 'list', 'events', 'seq', 'audit', 'export')
  const caller = fc.constantFrom<keyof typeof callers>('admin', 'admin', 'admin', 'viewer', 'session', 'session', 'nobody')
  const started = performance.now()
  const seen = { ok: 0, refused: 0 }
  await fc.assert(
    fc.asyncProperty(endpoint, caller, query, seqSegment, auditQuery, async (which, who, listQuery, segment, audit) => {
      const path = {
        list: `/admin/api/requests?${listQuery}`,
        events: `/admin/api/events?${listQuery}`,
        seq: `/admin/api/requests/${segment}`,
        audit: `/admin/api/audit?${audit}`,
        export: `/admin/api/config/export?${listQuery}`,
      }[which]
      // The admin may download its secrets (audited, documented): the viewer's export is the hostile one.
      const headers = which === 'export' && who === 'admin' ? callers.viewer : callers[who]
      const answer = await send(admin, path, headers)
      const shown = `${backend} ${who} GET ${path.slice(0, 300)} → ${answer.status} ${answer.text.slice(0, 300)}`
      assert.ok(answer.status < 500, `a 5xx: ${shown}`)
      assertNoSecret(answer, shown)
      if (answer.status !== 200) assertRefused(answer, shown)
      if (answer.status === 200) seen.ok++
      else seen.refused++
      if (who === 'nobody') {
        assert.ok([400, 401, 404].includes(answer.status), `no caller, no data: ${shown}`)
        return
      }
      if (which === 'list') {
        const fair = outcomes(listQuery, listKeys, rows, backend)
        assert.ok(
          fair.some((expected) => fits(answer, expected)),
          `${shown}\nexpected one of ${JSON.stringify(fair.map((expected) => (expected.kind === '4xx' ? '4xx' : `${expected.kind}: ${expected.rows.slice(0, expected.limit).map((row) => row.seq).join(',')}`)))}`,
        )
      } else if (which === 'events') {
        const fair = outcomes(listQuery, eventKeys, rows, backend)
        if (fair.every((expected) => expected.kind === '4xx')) assertRefused(answer, shown)
        else if (fair.every((expected) => expected.kind === '200')) assert.equal(answer.status, 200, shown)
        if (answer.status === 200) assert.match(String(answer.headers['content-type']), /^text\/event-stream/, shown)
      } else if (which === 'seq') {
        const decoded = readings(segment)
        const known = rows.find((row) => decoded.includes(String(row.seq)))
        if (/^[1-9]\d{0,14}$/.test(segment) && known !== undefined) assert.equal(answer.status, 200, shown)
        if (answer.status === 200) {
          const record = JSON.parse(answer.text) as Row
          assert.ok(rows.some((row) => row.seq === record.seq && row.id === record.id) && record.seq === Number(decoded.find((text) => Number(text) === record.seq)), shown)
        } else if (/^[1-9]\d{0,14}$/.test(segment)) assert.equal(answer.status, 404, shown)
      } else if (which === 'audit') {
        const given = new Map(pairsOf(audit).map((pair) => [pair.key, pair.values[0]!]))
        const plain = given.size === audit.split('&').filter(Boolean).length && [...given].every(([name, value]) => name !== 'x' && /^[1-9]\d{0,2}$/.test(value))
        const limit = Number(given.get('limit') ?? 50)
        if (plain && limit <= 500) assert.equal(answer.status, 200, shown)
        if (answer.status === 200) {
          const { entries } = JSON.parse(answer.text) as { entries: { seq: number }[] }
          if (plain) assert.ok(entries.length <= limit && entries.every((entry) => entry.seq < Number(given.get('before') ?? Infinity)), shown)
        }
      } else if (which === 'export') {
        if (answer.status === 200) assert.ok(!answer.text.includes(UPSTREAM_KEY), shown)
      }
    }),
    { seed, numRuns, endOnFailure: true, includeErrorInReport: true },
  )
  const ms = Math.round(performance.now() - started)
  t.diagnostic(`${backend}: ${numRuns} hostile admin queries (seed ${seed}) in ${ms} ms: ${seen.ok} answered, ${seen.refused} refused`)
  // The table is whole: the same rows, the same count, and the gateway still serves both listeners.
  assert.equal(await setup.count(), countBefore, 'the row count is unchanged')
  assert.deepEqual((await listAll(admin)).map((row) => row.seq), rows.map((row) => row.seq))
  const chat = await send(relay.url, '/v1/chat/completions', { authorization: `Bearer ${ALICE_KEY}` }, 'POST', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'still there?' }] }))
  assert.equal(chat.status, 200, chat.text)
  await relay.quiet()
}

test('issue 18: an Origin that is no URL (null, garbage, empty) on an admin change is refused with 403, not a 500', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { admin: { port: 0, password: ADMIN }, routes: [{ path: '/', upstreams: [{ url: mock.url, keys: [UPSTREAM_KEY] }] }] })
  const admin = relay.admin!.url
  const login = await send(admin, '/admin/api/login', {}, 'POST', JSON.stringify({ password: ADMIN }))
  const cookie = String(login.headers['set-cookie']).split(';')[0]!
  for (const origin of ['null', 'garbage', 'http://', '', 'http://[::1', `${admin}\u0000`.replace('\u0000', '%00')]) {
    for (const [method, path, body] of [
      ['GET', '/admin/api/config/export?secrets=true', undefined],
      ['PUT', '/admin/api/config', JSON.stringify({ source: 'routes: []', etag: 'x' })],
    ] as const) {
      const answer = await send(admin, path, { cookie, origin }, method, body)
      const shown = `${method} ${path} Origin ${JSON.stringify(origin)} → ${answer.status} ${answer.text.slice(0, 200)}`
      assert.equal(answer.status, 403, shown)
      assert.match(answer.text, /"code":"RELAY_ERR_ADMIN_FORBIDDEN"/, shown)
      assertNoSecret(answer, shown)
    }
  }
})

test(`issue 18: ${numRuns} hostile admin API filters over HTTP (seed ${seed}), SQLite: exact rows or a JSON 4xx, no 5xx, no key, the table whole`, async (t) => {
  await check(t, 'sqlite')
})

test(`issue 18: ${numRuns} hostile admin API filters over HTTP (seed ${seed}), PostgreSQL: exact rows or a JSON 4xx, no 5xx, no key, the table whole`, async (t) => {
  await check(t, 'postgres')
})

test.after(() => agent.destroy())
