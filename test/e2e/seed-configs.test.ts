import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import { createLogger } from '../../src/log.js'
import { startGateway, type Gateway, type StartOptions } from '../../src/main.js'
import type { MockUpstream } from '../../src/mock-upstream/index.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 2, point 2: both seeds' configurations work unchanged, end to end through the SDK.

function sdk(baseURL: string, apiKey: string, defaultHeaders?: Record<string, string>): OpenAI {
  return new OpenAI({ apiKey, baseURL, maxRetries: 0, ...(defaultHeaders && { defaultHeaders }) })
}

function chat(client: OpenAI, model = 'gpt-4o-mini', extra: Record<string, unknown> = {}) {
  return client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], ...extra })
}

function authsOf(mock: MockUpstream): (string | undefined)[] {
  return mock.requests.map((entry) => entry.headers.authorization)
}

async function rawChat(url: string, headers: Record<string, string> = {}) {
  const answer = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  })
  return { status: answer.statusCode, body: await answer.body.text() }
}

/** Starts a gateway the way the CLI does without --config: from env vars and the working directory. */
async function startFromEnvironment(t: TestContext, options: Pick<StartOptions, 'env'> & { files?: Record<string, string> }): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-seed-'))
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text)
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
  const gateway = await startGateway({
    cwd: dir,
    env: options.env ?? {},
    overrides: { host: '127.0.0.1', port: 0, dataDir: join(dir, 'data') },
    logger: createLogger('warn', sink),
  })
  t.after(async () => {
    await gateway.shutdown()
    rmSync(dir, { recursive: true, force: true })
  })
  return gateway
}

// ---- openai-api-route config.yaml ----

function apiRouteYaml(first: MockUpstream, second: MockUpstream, asis: MockUpstream, open: MockUpstream): string {
  return `# openai-api-route config.yaml, as its README writes it
address: ":8888"
authorization: "tok-a, tok-b"
timeout: 120
stream_timeout: 10
lb_policy: order
dbtype: sqlite
dbaddr: ./db.sqlite
upstreams:
  - sk: sk-first
    endpoint: http://127.0.0.1:${first.port}/v1
    allow: ["gpt-4o-mini", "gpt-4o"]
    deny: ["gpt-4o"]
  - sk: sk-second
    endpoint: http://127.0.0.1:${second.port}
  - sk: asis
    endpoint: http://127.0.0.1:${asis.port}/v1
    authorization: tok-c
    keep_header: true
  - endpoint: http://127.0.0.1:${open.port}/v1
    noauth: true
`
}

test('openai-api-route config.yaml: tokens, keys replaced, paths, allow/deny, asis, noauth, keep_header', async (t) => {
  const [first, second, asis, open] = await Promise.all([startMock(t), startMock(t), startMock(t), startMock(t)])
  const relay = await startRelay(t, apiRouteYaml(first, second, asis, open))
  assert.equal(relay.loaded.format, 'openai-api-route')
  // Records are implemented (issue 5): dbtype sqlite + dbaddr is the records file, relative to the working directory.
  assert.ok(!relay.loaded.notices.some((line) => line.includes('dbtype')), `notices: ${relay.loaded.notices.join(' | ')}`)
  assert.deepEqual([relay.loaded.config.records.backend, relay.loaded.config.records.url], ['sqlite', join(relay.dir, 'db.sqlite')])

  // Both top-level tokens reach the first upstream, whose sk replaces them; the endpoint's /v1 is kept once.
  const headers = { 'x-custom-header': 'custom-value' }
  assert.equal((await chat(sdk(`${relay.url}/v1`, 'tok-a', headers))).object, 'chat.completion')
  assert.equal((await chat(sdk(`${relay.url}/v1`, 'tok-b', headers))).object, 'chat.completion')
  assert.deepEqual(authsOf(first), ['Bearer sk-first', 'Bearer sk-first'])
  assert.equal(first.requests[0]!.url, '/v1/chat/completions')
  // keep_header defaults to false: only content-type, accept, openai-* and the key go upstream.
  assert.equal(first.requests[0]!.headers['x-custom-header'], undefined)
  assert.equal(first.requests[0]!.headers['x-stainless-lang'], undefined)
  assert.equal(first.requests[0]!.headers['content-type'], 'application/json')

  // deny after allow: gpt-4o skips the first upstream; the second (endpoint without a path) gets /v1/... .
  assert.equal((await chat(sdk(`${relay.url}/v1`, 'tok-a'), 'gpt-4o')).model, 'gpt-4o')
  assert.equal(first.requests.length, 2)
  assert.deepEqual(authsOf(second), ['Bearer sk-second'])
  assert.equal(second.requests[0]!.url, '/v1/chat/completions')

  // tok-c may only use the asis upstream (and the noauth one): its own header goes through, with the client's headers.
  await chat(sdk(`${relay.url}/v1`, 'tok-c', headers))
  assert.deepEqual(authsOf(asis), ['Bearer tok-c'])
  assert.equal(asis.requests[0]!.headers['x-custom-header'], 'custom-value')
  assert.equal(first.requests.length + second.requests.length, 3)

  // Without a token, or with one nobody knows, only the noauth upstream serves, and it gets no credential.
  assert.equal((await rawChat(relay.url)).status, 200)
  assert.equal((await rawChat(relay.url, { authorization: 'Bearer tok-unknown' })).status, 200)
  assert.deepEqual(authsOf(open), [undefined, undefined])
  assert.equal(first.requests.length + second.requests.length + asis.requests.length, 4)

  // GET /v1/models goes through too (the seed only routed POST). Without a model, the allow list of the
  // first upstream is matched against the path, which it does not name: the second upstream answers.
  const models = await sdk(`${relay.url}/v1`, 'tok-a').models.list()
  assert.ok(models.data.some((model) => model.id === 'gpt-4o-mini'))
  assert.equal(second.requests.at(-1)!.url, '/v1/models')
  assert.equal(second.requests.at(-1)!.method, 'GET')
  assert.equal(first.requests.length, 2)
})

test('openai-api-route config.yaml: ordered failover sends the same bytes to the next upstream with its own key', async (t) => {
  const [first, second, asis, open] = await Promise.all([startMock(t), startMock(t), startMock(t), startMock(t)])
  const relay = await startRelay(t, apiRouteYaml(first, second, asis, open))
  first.setBehaviour({ status: 500 })
  const answer = await chat(sdk(`${relay.url}/v1`, 'tok-a'), 'gpt-4o-mini', { temperature: 0.25 })
  assert.equal(answer.object, 'chat.completion')
  assert.equal(first.requests.length, 1)
  assert.equal(second.requests.length, 1)
  assert.deepEqual(second.requests[0]!.body, first.requests[0]!.body)
  assert.deepEqual(authsOf(second), ['Bearer sk-second'])

  // A reset connection fails over the same way; a client error (400) is relayed as it is.
  first.setBehaviour({ status: 200, fault: 'reset' })
  assert.equal((await chat(sdk(`${relay.url}/v1`, 'tok-a'))).object, 'chat.completion')
  assert.equal(second.requests.length, 2)
  first.setBehaviour({ fault: 'none', status: 400 })
  await assert.rejects(chat(sdk(`${relay.url}/v1`, 'tok-a')), (error: unknown) => error instanceof OpenAI.BadRequestError)
  assert.equal(second.requests.length, 2)
  // tok-c's candidates never include the sk upstreams.
  asis.setBehaviour({ status: 503 })
  await chat(sdk(`${relay.url}/v1`, 'tok-c'))
  assert.equal(open.requests.length, 1)
  assert.equal(second.requests.length, 2)
})

test('openai-api-route config.yaml: per-upstream timeout and stream_timeout are separate limits', async (t) => {
  // undici checks time-to-headers on a coarse clock (about 0.5 s resolution above 1 s), so the delays leave room.
  const [slow, fast] = await Promise.all([startMock(t, { behaviour: { headersDelayMs: 2000 } }), startMock(t)])
  const relay = await startRelay(
    t,
    `authorization: tok-a
timeout: 30
stream_timeout: 30
upstreams:
  - sk: sk-slow
    endpoint: http://127.0.0.1:${slow.port}/v1
    timeout: 1
    stream_timeout: 3
  - sk: sk-fast
    endpoint: http://127.0.0.1:${fast.port}/v1
`,
    { logLevel: 'warn' },
  )
  const client = sdk(`${relay.url}/v1`, 'tok-a')
  const started = Date.now()
  assert.equal((await chat(client)).object, 'chat.completion')
  const elapsed = Date.now() - started
  assert.ok(elapsed >= 950 && elapsed < 1900, `the non-stream answer should come from the fast upstream after ~1 s, took ${elapsed} ms`)
  assert.equal(fast.requests.length, 1)
  assert.equal(slow.requests.length, 1)

  // Streaming: time to headers is bounded by stream_timeout (3 s), so the slow upstream answers after 1.8 s.
  slow.setBehaviour({ headersDelayMs: 1800 })
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  assert.ok(text.length > 0)
  assert.equal(slow.requests.length, 2)
  assert.equal(fast.requests.length, 1)
  assert.deepEqual(authsOf(slow), ['Bearer sk-slow', 'Bearer sk-slow'])
})

test('openai-api-route config.yaml: lb_policy random spreads requests over the upstreams', async (t) => {
  const [first, second] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(
    t,
    `authorization: tok-a
lb_policy: random
dbtype: none
upstreams:
  - sk: sk-1
    endpoint: http://127.0.0.1:${first.port}/v1
  - sk: sk-2
    endpoint: http://127.0.0.1:${second.port}/v1
`,
  )
  const client = sdk(`${relay.url}/v1`, 'tok-a')
  for (let index = 0; index < 16; index++) await chat(client)
  assert.ok(first.requests.length > 0 && second.requests.length > 0, `${first.requests.length} / ${second.requests.length}`)
  assert.equal(first.requests.length + second.requests.length, 16)
})

test('openai-api-route config.yaml: an endpoint path other than /v1 is honoured (the seed ignored it), with a notice', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(
    t,
    `authorization: tok-a
upstreams:
  - sk: sk-behind-a-path
    endpoint: http://127.0.0.1:${mock.port}/proxy/openai/v1/
`,
  )
  assert.match(relay.loaded.notices.join('\n'), /upstreams\.0\.endpoint: the path \/proxy\/openai\/v1\/ is now used/)
  const embedding = await sdk(`${relay.url}/v1`, 'tok-a').embeddings.create({ model: 'text-embedding-3-small', input: 'x' })
  assert.equal(embedding.object, 'list')
  assert.equal(mock.requests[0]!.url, '/proxy/openai/v1/embeddings')
  assert.equal(mock.requests[0]!.headers.authorization, 'Bearer sk-behind-a-path')
})

// ---- OpenAI-Forward ----

function forwardYaml(openai: MockUpstream, gemini: MockUpstream, ipLists = 'ip_whitelist: ["127.0.0.1"]'): string {
  return `# openai-forward-config.yaml
log:
  general: true
  openai: true

cache:
  general: true
  openai: true
  routes:
    - "/v1/chat/completions"
  backend: MEMORY
  root_path_or_url: "./FLAXKV_DB"
  default_request_caching_value: false

chat_completion_route: "/v1/chat/completions"

benchmark_mode: true

forward:
  - base_url: "http://127.0.0.1:${openai.port}"
    route: "/"
    type: "openai"
  - base_url: "http://127.0.0.1:${gemini.port}"
    route: "/gemini"
    type: "general"

api_key:
  level:
    1: ["gpt-4o-mini"]
  openai_key:
    "sk-real-zero": [0]
    "sk-real-one-a": [1]
    "sk-real-one-b": [1, 2]
  forward_key:
    0: ["fk-zero"]
    1: ["fk-one"]

rate_limit:
  global_rate_limit: 100/minute
  strategy: moving-window
  iter_chunk: one-by-one
  req_rate_limit:
    - route: /v1/chat/completions
      value:
        - level: 0
          limit: "100/2minutes"
  token_rate_limit:
    - route: /v1/chat/completions
      value:
        - level: 0
          limit: "60/second"

timeout: 6
${ipLists}
tz: Asia/Shanghai
default_stream_response: true
`
}

test('OpenAI-Forward openai-forward-config.yaml: routes, forward keys by level, pass-through, notices', async (t) => {
  const [openai, gemini] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(t, forwardYaml(openai, gemini))
  assert.equal(relay.loaded.format, 'openai-forward')
  const notices = relay.loaded.notices.join('\n')
  assert.equal(relay.loaded.config.records.chat, true, 'log.openai keeps chat records (issue 5)')
  for (const expected of [/benchmark_mode: ignored/]) {
    assert.match(notices, expected)
  }
  assert.doesNotMatch(notices, /token_rate_limit/, 'stream pacing is implemented: no notice')

  // Level 0: any model, its one real key.
  assert.equal((await chat(sdk(`${relay.url}/v1`, 'fk-zero'), 'gpt-4o')).model, 'gpt-4o')
  assert.deepEqual(authsOf(openai), ['Bearer sk-real-zero'])

  // Level 1: its models only, its keys in turn (file order).
  const one = sdk(`${relay.url}/v1`, 'fk-one')
  await chat(one)
  await chat(one)
  await chat(one)
  assert.deepEqual(authsOf(openai).slice(1), ['Bearer sk-real-one-a', 'Bearer sk-real-one-b', 'Bearer sk-real-one-a'])
  await assert.rejects(chat(one, 'gpt-4o'), (error: unknown) => error instanceof OpenAI.PermissionDeniedError && error.code === 'RELAY_ERR_MODEL_NOT_ALLOWED')
  assert.equal(openai.requests.length, 4)

  // An unknown key passes through unchanged, as OpenAI-Forward does.
  await chat(sdk(`${relay.url}/v1`, 'sk-client-own'))
  assert.equal(openai.requests.at(-1)!.headers.authorization, 'Bearer sk-client-own')

  // The general route forwards method, path, query and body byte for byte, prefix stripped.
  const body = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13])
  const answer = await request(`${relay.url}/gemini/echo/v1beta/models/gemini-pro:generateContent?key=caller-key&alt=sse`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body,
  })
  assert.equal(answer.statusCode, 200)
  assert.deepEqual(Buffer.from(await answer.body.arrayBuffer()), body)
  assert.equal(gemini.requests[0]!.url, '/echo/v1beta/models/gemini-pro:generateContent?key=caller-key&alt=sse')
  assert.equal(gemini.requests[0]!.method, 'PUT')
  assert.equal(openai.requests.length, 5)

  // cache.openai with default_request_caching_value false: an answer is read from cache when the request asks (extra_body caching).
  const cached = sdk(`${relay.url}/v1`, 'fk-zero')
  const ask = { caching: true, messages: [{ role: 'user', content: 'cache me' }] }
  const first = await chat(cached, 'gpt-4o', ask)
  await relay.quiet()
  const again = await chat(cached, 'gpt-4o', ask)
  assert.equal(again.id, first.id, 'the second answer came from the cache')
  assert.equal(openai.requests.length, 6)
  assert.equal(JSON.parse(openai.requests[5]!.body.toString('utf8')).caching, undefined, 'caching is never sent upstream')
})

test('OpenAI-Forward ip_blacklist refuses a listed address', async (t) => {
  const [openai, gemini] = await Promise.all([startMock(t), startMock(t)])
  const relay = await startRelay(t, forwardYaml(openai, gemini, 'ip_blacklist: "127.0.0.1, 10.0.0.1"'))
  const answer = await rawChat(relay.url, { authorization: 'Bearer fk-zero' })
  assert.equal(answer.status, 403)
  assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'RELAY_ERR_IP_FORBIDDEN')
  assert.equal(openai.requests.length, 0)
})

test('OpenAI-Forward environment variables, no config file', async (t) => {
  const [openai, localai] = await Promise.all([startMock(t), startMock(t)])
  const gateway = await startFromEnvironment(t, {
    env: {
      FORWARD_CONFIG: JSON.stringify([
        { base_url: openai.url, route: '/', type: 'openai' },
        { base_url: localai.url, route: '/localai', type: 'openai' },
      ]),
      OPENAI_API_KEY_CONFIG: JSON.stringify({ 'sk-env-zero': [0], 'sk-env-one': [1] }),
      FORWARD_KEY_CONFIG: JSON.stringify({ 0: ['fk-env-zero'], 1: ['fk-env-one'] }),
      LEVEL_MODELS: JSON.stringify({ 1: ['gpt-4o-mini'] }),
      IP_WHITELIST: '127.0.0.1,::1',
      CACHE_OPENAI: 'true',
      GLOBAL_RATE_LIMIT: '100/minute',
    },
  })
  assert.equal(gateway.loaded.format, 'openai-forward-env')
  assert.equal(gateway.loaded.file, undefined)
  assert.doesNotMatch(gateway.loaded.notices.join('\n'), /CACHE_OPENAI/, 'the cache is implemented (issue 4)')
  assert.deepEqual(gateway.loaded.config.routes[0]!.cache, { mode: 'opt-in', scope: 'client', paths: ['/v1/chat/completions', '/v1/completions', '/v1/embeddings'] })
  // Request limits are implemented (issue 3): GLOBAL_RATE_LIMIT is a per-client fallback limit now.
  assert.doesNotMatch(gateway.loaded.notices.join('\n'), /GLOBAL_RATE_LIMIT/)
  assert.equal(gateway.loaded.config.limits?.global, '100/minute')

  await chat(sdk(`${gateway.url}/v1`, 'fk-env-zero'), 'gpt-4o')
  await chat(sdk(`${gateway.url}/localai/v1`, 'fk-env-one'))
  assert.deepEqual(authsOf(openai), ['Bearer sk-env-zero'])
  assert.deepEqual(authsOf(localai), ['Bearer sk-env-one'])
  assert.equal(localai.requests[0]!.url, '/v1/chat/completions')
  await assert.rejects(chat(sdk(`${gateway.url}/v1`, 'fk-env-one'), 'gpt-4o'), (error: unknown) => error instanceof OpenAI.PermissionDeniedError)
  assert.equal(openai.requests.length, 1)
})

test('OpenAI-Forward: ./openai-forward-config.yaml in the working directory is found without --config', async (t) => {
  const [openai, gemini] = await Promise.all([startMock(t), startMock(t)])
  const gateway = await startFromEnvironment(t, { files: { 'openai-forward-config.yaml': forwardYaml(openai, gemini) } })
  assert.equal(gateway.loaded.format, 'openai-forward')
  assert.match(gateway.loaded.file ?? '', /openai-forward-config\.yaml$/)
  await chat(sdk(`${gateway.url}/v1`, 'fk-one'))
  assert.deepEqual(authsOf(openai), ['Bearer sk-real-one-a'])
})

test('a broken seed config lists every problem at once, naming the seed keys', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-seed-bad-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'config.yaml')
  writeFileSync(file, `authorization: tok-a\nlb_policy: fastest\nupstreams:\n  - sk: sk-secret-value\n    endpoint: ftp://nowhere\n`)
  await assert.rejects(startGateway({ file, cwd: dir, env: {}, overrides: { port: 0 } }), (error: Error) => {
    assert.match(error.message, /lb_policy: expected order or random \(got "fastest"\)/)
    assert.match(error.message, /upstreams\.0\.endpoint: expected an http:\/\/ or https:\/\/ URL/)
    assert.ok(!error.message.includes('sk-secret-value'))
    return true
  })
})
