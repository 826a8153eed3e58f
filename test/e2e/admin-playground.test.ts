import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { request } from 'undici'
import type { ConfigInput } from '../../src/config/schema.js'
import type { MockUpstream } from '../../src/mock-upstream/index.js'
import { startMock } from '../helpers/mock.js'
import { startRelay, type TestRelay } from '../helpers/relay.js'

// Issue 15 point 7: the Playground. A dry run runs the relay's own stages up to the choice of
// upstreams and says where a request would go and why; a chat goes through the relay for real and
// comes back with its routing decision. Secrets never come back.

const ADMIN = 'admin-password-playground-2291'
const VIEWER = 'viewer-password-playground-7710'
const CLIENT_TOKEN = 'tok-canary-client-5b1e9c0f77aa'
const UPSTREAM_KEY = 'sk-canary-upstream-31d4e8a2c6f0'
const FORWARD_KEY = 'fk-canary-forward-8e2b6d0c4a19'
const canaries = [CLIENT_TOKEN, UPSTREAM_KEY, FORWARD_KEY]

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: Record<string, unknown>
}

interface Decision {
  requestId: string
  status: number
  route: string | null
  upstream: string | null
  provider: string | null
  upstreamModel: string | null
  attempts: { upstream: string; status?: number; reason?: string; durationMs: number }[]
  cache: string | null
  tokens: { prompt: number; completion: number; total: number; source: string } | null
  firstByteMs: number | null
  totalMs: number
}

interface DryRun {
  route: { path: string; strategy: string } | null
  client: { kind: string; name: string; level: number | null; label: string; note: string | null }
  refused: { stage: string; status: number; code: string; message: string } | null
  candidates: { name: string; provider: string; upstreamModel: string | null; health: { state: string; coolingUntil: number | null; consecutiveFailures: number } }[]
  leftOut: { name: string; reason: string; why: string }[]
  cache: { mode: string; scope: string; ttlMs: number; lookup: boolean; note: string } | null
  limits: { requests: string[]; tokens: string[] } | null
}

/** Every answer text of the admin API in this file, to look for the canaries in. */
const seen: string[] = []

async function call(url: string, path: string, options: { password?: string; body?: unknown; method?: string } = {}): Promise<Answer> {
  const answer = await request(`${url}${path}`, {
    method: (options.method ?? (options.body === undefined ? 'GET' : 'POST')) as 'GET',
    headers: { authorization: `Bearer ${options.password ?? ADMIN}`, ...(options.body !== undefined && { 'content-type': 'application/json' }) },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  })
  const text = await answer.body.text()
  seen.push(text)
  const json = answer.headers['content-type']?.toString().includes('json') === true && text !== '' ? (JSON.parse(text) as Record<string, unknown>) : {}
  return { status: answer.statusCode, headers: answer.headers, text, json }
}

const dryRun = async (admin: string, body: unknown, password = ADMIN): Promise<DryRun & { status: number }> => {
  const answer = await call(admin, '/admin/api/playground/dry-run', { body, password })
  assert.equal(answer.status, 200, answer.text)
  return { ...(answer.json as unknown as DryRun), status: answer.status }
}

/** The events of a text/event-stream answer, in order. */
function eventsOf(text: string): { event: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n')
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message'
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n')
      return { event, data }
    })
}

function configOf(flaky: MockUpstream, steady: MockUpstream, extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    admin: { port: 0, password: ADMIN, viewerPassword: VIEWER },
    failover: { cooldown: { failures: 1, duration: '5m' } },
    access: { forwardKeys: [{ key: FORWARD_KEY, level: 1, name: 'team-a' }], levels: [{ level: 1, models: ['gpt-4o-mini'] }] },
    limits: { requests: [{ limit: '100/minute', per: 'client', route: '/' }] },
    routes: [
      {
        path: '/',
        upstreams: [
          { name: 'flaky', url: flaky.url, keys: [UPSTREAM_KEY] },
          { name: 'steady', url: steady.url, keys: [UPSTREAM_KEY], models: { map: { 'gpt-4o': 'gpt-4o-2024-08-06' } } },
          { name: 'no-4o', url: steady.url, keys: [UPSTREAM_KEY], models: { deny: ['gpt-4o'] } },
        ],
      },
      { path: '/private', clientTokens: [CLIENT_TOKEN], upstreams: [{ name: 'private', url: steady.url, keys: [UPSTREAM_KEY] }] },
      { path: '/cached', cache: 'always', upstreams: [{ name: 'cached', url: steady.url, keys: [UPSTREAM_KEY] }] },
    ],
    ...extra,
  }
}

async function start(t: TestContext, extra: Partial<ConfigInput> = {}): Promise<{ relay: TestRelay; admin: string; flaky: MockUpstream; steady: MockUpstream }> {
  const flaky = await startMock(t, { behaviour: { status: 500 } })
  const steady = await startMock(t)
  const relay = await startRelay(t, configOf(flaky, steady, extra), { failOnErrorLogs: true })
  return { relay, admin: relay.admin!.url, flaky, steady }
}

const hello = [{ role: 'user', content: 'hello playground' }]

test('issue 15.7: a dry run names the order (a cooling upstream last), the model each is sent after models.map, and the upstream left out by models.deny with why', async (t) => {
  const { relay, admin, flaky } = await start(t)
  const before = await dryRun(admin, { path: '/v1/chat/completions', model: 'gpt-4o' })
  assert.deepEqual(before.route, { path: '/', type: 'openai', strategy: 'ordered' })
  assert.equal(before.refused, null)
  assert.deepEqual(
    before.candidates.map((candidate) => [candidate.name, candidate.upstreamModel, candidate.health.state]),
    [
      ['flaky', 'gpt-4o', 'healthy'],
      ['steady', 'gpt-4o-2024-08-06', 'healthy'],
    ],
  )
  assert.deepEqual(
    before.leftOut.map(({ name, reason }) => [name, reason]),
    [['no-4o', 'model-denied']],
  )
  assert.match(before.leftOut[0]!.why, /models\.deny lists 'gpt-4o'/)
  assert.deepEqual(before.limits, { requests: ['100 per 1 minute'], tokens: [] })
  assert.equal(before.cache, null)
  assert.equal(flaky.requests.length, 0, 'a dry run calls no upstream')

  // One real request: flaky answers 500 and goes into cooldown (failures: 1), steady answers.
  const relayed = await request(`${relay.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: hello }) })
  assert.equal(relayed.statusCode, 200)
  await relayed.body.text()

  const after = await dryRun(admin, { path: '/v1/chat/completions', model: 'gpt-4o' })
  assert.deepEqual(
    after.candidates.map((candidate) => [candidate.name, candidate.health.state]),
    [
      ['steady', 'healthy'],
      ['flaky', 'cooling'],
    ],
  )
  const cooling = after.candidates[1]!.health
  assert.equal(cooling.consecutiveFailures, 1)
  assert.ok(cooling.coolingUntil !== null && cooling.coolingUntil > Date.now())
  assert.equal(flaky.requests.length, 1, 'still only the one relayed request reached it')

  // A model the deny list does not name: every upstream takes it.
  const mini = await dryRun(admin, { path: '/v1/chat/completions', model: 'gpt-4o-mini' })
  assert.deepEqual(
    mini.candidates.map((candidate) => candidate.name),
    ['steady', 'no-4o', 'flaky'],
  )
  assert.deepEqual(mini.leftOut, [])
})

test('issue 15.7: a dry run is refused as the relay refuses: no or a wrong client token (401 RELAY_ERR_UNAUTHORIZED), a forward key level without the model (403), no route (404)', async (t) => {
  const { relay, admin } = await start(t)
  const path = '/private/v1/chat/completions'
  const real = await request(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: hello }) })
  const realError = ((await real.body.json()) as { error: { code: string; message: string } }).error

  const missing = await dryRun(admin, { path, model: 'gpt-4o' })
  assert.deepEqual(missing.refused, { stage: 'pickCandidates', status: real.statusCode, code: realError.code, message: realError.message, param: null })
  assert.equal(missing.refused.code, 'RELAY_ERR_UNAUTHORIZED')
  assert.deepEqual(missing.candidates, [])
  assert.deepEqual(
    missing.leftOut.map(({ name, reason }) => [name, reason]),
    [['private', 'token-not-allowed']],
  )
  assert.equal(missing.client.label, 'no token')

  const wrong = await dryRun(admin, { path, model: 'gpt-4o', client: { key: 'not-a-token-we-issued' } })
  assert.equal(wrong.refused?.code, 'RELAY_ERR_UNAUTHORIZED')
  assert.equal(wrong.client.kind, 'anonymous')
  assert.match(wrong.client.note ?? '', /did not issue/)

  const clients = (await call(admin, '/admin/api/playground/clients')).json.clients as { ref: string; label: string }[]
  assert.deepEqual(clients, [
    { ref: 'access.forwardKeys[0]', label: 'forward key team-a (level 1)' },
    { ref: 'routes[1].clientTokens[0]', label: 'client token ********77aa (route /private)' },
  ])
  const right = await dryRun(admin, { path, model: 'gpt-4o', client: { ref: 'routes[1].clientTokens[0]' } })
  assert.equal(right.refused, null)
  assert.equal(right.client.kind, 'client-token')
  assert.deepEqual(
    right.candidates.map((candidate) => candidate.name),
    ['private'],
  )

  const level = await dryRun(admin, { path: '/v1/chat/completions', model: 'gpt-4o', client: { ref: 'access.forwardKeys[0]' } })
  assert.equal(level.client.level, 1)
  assert.equal(level.client.name, 'team-a')
  assert.equal(level.refused?.stage, 'checkModelAccess')
  assert.equal(level.refused?.code, 'RELAY_ERR_MODEL_NOT_ALLOWED')
  assert.ok(level.leftOut.every((upstream) => upstream.reason === 'level-model-not-allowed'))
  assert.equal(level.leftOut.length, 3)

  const noRoute = await start(t, { routes: [{ path: '/only', upstreams: [{ url: 'http://127.0.0.1:9' }] }] })
  const nowhere = await dryRun(noRoute.admin, { path: '/elsewhere/v1/chat/completions', model: 'gpt-4o' })
  assert.equal(nowhere.refused?.code, 'RELAY_ERR_NO_ROUTE')
  assert.equal(nowhere.route, null)

  const unknownRef = await call(admin, '/admin/api/playground/dry-run', { body: { path, client: { ref: 'access.clientTokens[7]' } } })
  assert.equal(unknownRef.status, 400)
  assert.equal((unknownRef.json.error as { code: string }).code, 'RELAY_ERR_BAD_REQUEST')
  const both = await call(admin, '/admin/api/playground/dry-run', { body: { path, client: { ref: 'access.forwardKeys[0]', key: 'x' } } })
  assert.equal(both.status, 400)
})

test('issue 15.7: a plain chat answers with the routing decision: route, the upstream used after a failing first one, attempts, tokens, time to first byte (records off)', async (t) => {
  const { admin, flaky, steady } = await start(t, { records: { backend: 'none' } })
  const answer = await call(admin, '/admin/api/playground/chat', { body: { model: 'gpt-4o', messages: hello, max_tokens: 50 } })
  assert.equal(answer.status, 200, answer.text)
  assert.equal(answer.json.status, 200)
  const completion = answer.json.answer as { object: string; choices: { message: { content: string } }[] }
  assert.equal(completion.object, 'chat.completion')
  assert.ok(completion.choices[0]!.message.content.length > 0)
  const decision = answer.json.decision as Decision
  assert.match(decision.requestId, /^playground-[0-9a-f]{24}$/)
  assert.equal(decision.status, 200)
  assert.equal(decision.route, '/')
  assert.equal(decision.upstream, 'steady')
  assert.equal(decision.upstreamModel, 'gpt-4o-2024-08-06')
  assert.deepEqual(
    decision.attempts.map((attempt) => [attempt.upstream, attempt.status]),
    [
      ['flaky', 500],
      ['steady', 200],
    ],
  )
  assert.ok(decision.tokens !== null && decision.tokens.total > 0 && decision.tokens.source === 'upstream')
  assert.ok(decision.firstByteMs !== null && decision.firstByteMs >= 0 && decision.firstByteMs <= decision.totalMs)
  assert.equal(decision.cache, null)
  assert.equal(flaky.requests.length, 1)
  assert.equal(steady.requests[0]?.headers['x-request-id'], decision.requestId)
  assert.equal(JSON.parse(steady.requests[0]!.body.toString()).model, 'gpt-4o-2024-08-06')

  // An error of the relay is the answer, with its status, and still a decision.
  const refused = await call(admin, '/admin/api/playground/chat', { body: { path: '/private', model: 'gpt-4o', messages: hello } })
  assert.equal(refused.status, 200)
  assert.equal(refused.json.status, 401)
  assert.equal((refused.json.answer as { error: { code: string } }).error.code, 'RELAY_ERR_UNAUTHORIZED')
  assert.equal((refused.json.decision as Decision).status, 401)
  assert.equal((refused.json.decision as Decision).route, '/private')

  const typed = await call(admin, '/admin/api/playground/chat', { body: { path: '/private', model: 'gpt-4o', messages: hello, client: { key: CLIENT_TOKEN } } })
  assert.equal(typed.json.status, 200)
  assert.equal((typed.json.decision as Decision).upstream, 'private')

  // Each chat spends money: the audit log says who sent it, where and with which model, never its key or text.
  const audit = await call(admin, '/admin/api/audit')
  const chats = (audit.json.entries as { action: string; summary: string }[]).filter((entry) => entry.action === 'playground-chat')
  assert.equal(chats.length, 3)
  assert.match(chats[0]!.summary, /\/private model gpt-4o/)
  assert.ok(!audit.text.includes(CLIENT_TOKEN))
})

test('issue 15.7: a streamed chat passes the chunks on as they come, then the decision', async (t) => {
  const { admin } = await start(t)
  const answer = await call(admin, '/admin/api/playground/chat', { body: { model: 'gpt-4o-mini', messages: hello, stream: true, client: { ref: 'access.forwardKeys[0]' } } })
  assert.equal(answer.status, 200)
  assert.match(String(answer.headers['content-type']), /^text\/event-stream/)
  assert.equal(answer.headers['cache-control'], 'no-store')
  const events = eventsOf(answer.text)
  const chunks = events.filter((event) => event.event === 'chunk')
  assert.ok(chunks.length >= 3, answer.text)
  assert.equal(chunks.at(-1)?.data, '[DONE]')
  const first = JSON.parse(chunks[0]!.data) as { object: string }
  assert.equal(first.object, 'chat.completion.chunk')
  const last = events.at(-1)!
  assert.equal(last.event, 'decision')
  const decision = JSON.parse(last.data) as Decision
  assert.equal(decision.upstream, 'steady')
  assert.deepEqual(
    decision.attempts.map((attempt) => attempt.upstream),
    ['flaky', 'steady'],
  )
  assert.ok(decision.tokens !== null && decision.tokens.completion > 0)
  assert.ok(decision.firstByteMs !== null)

  // A relay error on a stream: an error event in OpenAI's shape, then the decision.
  const refused = eventsOf((await call(admin, '/admin/api/playground/chat', { body: { path: '/private', model: 'gpt-4o', messages: hello, stream: true } })).text)
  assert.deepEqual(
    refused.map((event) => event.event),
    ['error', 'decision'],
  )
  const error = JSON.parse(refused[0]!.data) as { status: number; error: { code: string } }
  assert.equal(error.status, 401)
  assert.equal(error.error.code, 'RELAY_ERR_UNAUTHORIZED')
})

test('issue 15.7: a browser that leaves a streamed chat cancels the relay request and the upstream call', async (t) => {
  const slow = await startMock(t, { behaviour: { chunks: 50, chunkDelayMs: 100 } })
  const relay = await startRelay(t, { admin: { port: 0, password: ADMIN }, routes: [{ path: '/', upstreams: [{ name: 'slow', url: slow.url }] }] })
  const controller = new AbortController()
  const answer = await request(`${relay.admin!.url}/admin/api/playground/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: hello, stream: true }),
    signal: controller.signal,
  })
  let text = ''
  await assert.rejects(async () => {
    for await (const chunk of answer.body) {
      text += String(chunk)
      if (text.includes('event: chunk')) controller.abort()
    }
  })
  await slow.waitForAbort()
  assert.equal(slow.aborted(), 1)
})

test('issue 15.7: the viewer may list clients and dry-run, but not chat (403)', async (t) => {
  const { admin, steady } = await start(t)
  assert.equal((await call(admin, '/admin/api/playground/clients', { password: VIEWER })).status, 200)
  const viewed = await dryRun(admin, { path: '/v1/chat/completions', model: 'gpt-4o' }, VIEWER)
  assert.equal(viewed.candidates.length, 2)
  const chat = await call(admin, '/admin/api/playground/chat', { password: VIEWER, body: { model: 'gpt-4o', messages: hello } })
  assert.equal(chat.status, 403)
  assert.equal((chat.json.error as { code: string }).code, 'RELAY_ERR_ADMIN_FORBIDDEN')
  assert.equal(steady.requests.length, 0)
  assert.equal((await call(admin, '/admin/api/playground/clients', { password: 'nobody' })).status, 401)
  const bad = await call(admin, '/admin/api/playground/chat', { body: { model: 'gpt-4o', messages: [] } })
  assert.equal(bad.status, 400)
  assert.equal((bad.json.error as { code: string }).code, 'RELAY_ERR_BAD_REQUEST')
})

test('issue 15.7: a chat through a caching route shows MISS, then HIT', async (t) => {
  const { admin, steady } = await start(t)
  const body = { path: '/cached', model: 'gpt-4o', messages: [{ role: 'user', content: 'cache me' }] }
  const dry = await dryRun(admin, { path: '/cached/v1/chat/completions', model: 'gpt-4o' })
  assert.deepEqual(dry.cache, { mode: 'always', scope: 'client', ttlMs: 3_600_000, lookup: true, note: dry.cache?.note })
  const first = (await call(admin, '/admin/api/playground/chat', { body })).json.decision as Decision
  const second = (await call(admin, '/admin/api/playground/chat', { body })).json.decision as Decision
  assert.equal(first.cache, 'MISS')
  assert.equal(second.cache, 'HIT')
  assert.equal(second.upstream, null)
  assert.deepEqual(second.attempts, [])
  assert.equal(steady.requests.length, 1)
  const streamed = eventsOf((await call(admin, '/admin/api/playground/chat', { body: { ...body, stream: true } })).text)
  assert.equal(JSON.parse(streamed.at(-1)!.data).cache, 'HIT')
})

test('issue 15.7: no answer of the playground holds a whole client token, upstream key or forward key', async (t) => {
  const { admin } = await start(t)
  const clients = (await call(admin, '/admin/api/playground/clients')).json.clients as { ref: string }[]
  for (const { ref } of clients) {
    await call(admin, '/admin/api/playground/dry-run', { body: { path: '/private/v1/chat/completions', model: 'gpt-4o-mini', client: { ref } } })
    await call(admin, '/admin/api/playground/chat', { body: { path: '/private', model: 'gpt-4o-mini', messages: hello, client: { ref } } })
    await call(admin, '/admin/api/playground/chat', { body: { model: 'gpt-4o-mini', messages: hello, stream: true, client: { ref } } })
  }
  await call(admin, '/admin/api/playground/dry-run', { body: { path: '/private/v1/chat/completions', client: { key: CLIENT_TOKEN } } })
  await call(admin, '/admin/api/playground/dry-run', { body: { path: '/v1/chat/completions', model: 'gpt-4o', client: { key: FORWARD_KEY } } })
  await call(admin, '/admin/api/playground/chat', { body: { model: 'gpt-4o', messages: hello, client: { key: UPSTREAM_KEY } } })
  await call(admin, '/admin/api/playground/chat', { password: VIEWER, body: { model: 'gpt-4o', messages: hello, client: { key: CLIENT_TOKEN } } })
  assert.ok(seen.length > 10)
  assert.deepEqual(
    canaries.filter((canary) => seen.some((text) => text.includes(canary))),
    [],
  )
})
