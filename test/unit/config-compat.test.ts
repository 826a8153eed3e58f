import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parse as parseYaml } from 'yaml'
import { detectFormat } from '../../src/config/compat/detect.js'
import { fromOpenAIApiRoute } from '../../src/config/compat/openai-api-route.js'
import { fromOpenAIForwardEnv, fromOpenAIForwardYaml } from '../../src/config/compat/openai-forward.js'
import type { Translation } from '../../src/config/compat/types.js'
import { ConfigError } from '../../src/config/errors.js'
import { validateConfig } from '../../src/config/load.js'
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js'

/** Where records go and whether chat logs are on: the part of `records` the seeds' settings decide. */
function recordsWhere(config: { records: { backend: string; url?: string | undefined; chat: boolean } }) {
  const { backend, url, chat } = config.records
  return { backend, ...(url !== undefined && { url }), chat }
}

/** Every translation must be a valid native config. */
function validate(translation: Translation | undefined): Config {
  assert.ok(translation, 'expected a translation')
  return configSchema.parse(translation.config)
}

function yaml(text: string): Record<string, unknown> {
  return parseYaml(text) as Record<string, unknown>
}

/** Runs `fn`, expects a ConfigError, and returns its issues as `path: problem` lines. */
function issuesOf(fn: () => unknown): { lines: string[]; error: ConfigError } {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`)
    return { lines: error.issues.map((issue) => `${issue.path}: ${issue.problem}`), error }
  }
  assert.fail('expected a ConfigError')
}

// The sample of seeds.md B.1, with every per-upstream option used.
const apiRouteSample = `
address: "127.0.0.1:8888"
hostname: relay-1
authorization: woshimima, other-token ,
timeout: 60
stream_timeout: 5
lb_policy: random
dbtype: postgres
dbaddr: "host=127.0.0.1 port=5432 user=postgres dbname=openai_api_route sslmode=disable password=woshimima"
upstreams:
  - sk: "secret_key_1"
    endpoint: "https://api.openai.com/v1"
    timeout: 30
    stream_timeout: 3
    allow: ["gpt-4o", "whisper-1"]
    deny: ["gpt-4o-mini"]
    keep_header: true
  - sk: asis
    endpoint: "https://api.openai.com"
    authorization: "team-a,team-b"
    noauth: true
    type: openai
`

describe('openai-api-route config', () => {
  it('translates the sample config into one /v1 route', () => {
    const translation = fromOpenAIApiRoute(yaml(apiRouteSample))
    const config = validate(translation)
    assert.deepEqual(config.server.host, '127.0.0.1')
    assert.equal(config.server.port, 8888)
    assert.equal(config.routes.length, 1)
    assert.deepEqual(config.routes[0], {
      path: '/v1',
      type: 'openai',
      strategy: 'random',
      timeout: 60_000,
      streamTimeout: 5_000,
      clientTokens: ['woshimima', 'other-token'],
      upstreams: [
        {
          name: 'api.openai.com#0',
          url: 'https://api.openai.com/v1',
          provider: 'openai',
          keys: ['secret_key_1'],
          weight: 1,
          timeout: 30_000,
          streamTimeout: 3_000,
          models: { allow: ['gpt-4o', 'whisper-1'], deny: ['gpt-4o-mini'] },
          noauth: false,
          keepHeaders: true,
          streamUsage: true,
        },
        {
          name: 'api.openai.com#1',
          url: 'https://api.openai.com/v1',
          provider: 'openai',
          keys: [],
          auth: 'passthrough',
          weight: 1,
          clientTokens: ['team-a', 'team-b'],
          noauth: true,
          keepHeaders: false,
          streamUsage: true,
        },
      ],
    })
    assert.deepEqual(recordsWhere(config), {
      backend: 'postgres',
      url: 'host=127.0.0.1 port=5432 user=postgres dbname=openai_api_route sslmode=disable password=woshimima',
      chat: false,
    })
    assert.deepEqual(translation.notices, [
      'openai-api-route hostname: ignored: records name no host',
    ])
  })

  it('applies the seed defaults: :8888, order, 120 s / 10 s, ./db.sqlite, no sk = no auth', () => {
    const translation = fromOpenAIApiRoute(yaml('upstreams:\n  - endpoint: https://one.example\n'))
    const config = validate(translation)
    assert.equal(config.server.host, '0.0.0.0')
    assert.equal(config.server.port, 8888)
    const route = config.routes[0]
    assert.equal(route?.strategy, 'ordered')
    assert.equal(route?.timeout, 120_000)
    assert.equal(route?.streamTimeout, 10_000)
    assert.equal(route?.clientTokens, undefined)
    assert.equal(route?.upstreams[0]?.auth, 'none')
    assert.equal(route?.upstreams[0]?.name, 'one.example')
    assert.deepEqual(recordsWhere(config), { backend: 'sqlite', url: './db.sqlite', chat: false })
    assert.ok(translation.notices.some((line) => line.includes('authorization: empty: now means "no token required"')))
  })

  it('keeps an endpoint path, and gives a bare origin the /v1 the seed always sent', () => {
    const endpoints = ['https://a.example', 'https://b.example/', 'https://c.example/v1', 'https://d.example/openai/v1', 'http://e.example:8080/v2']
    const doc = { upstreams: endpoints.map((endpoint) => ({ sk: 'k', endpoint })) }
    const translation = fromOpenAIApiRoute(doc)
    const urls = validate(translation).routes[0]?.upstreams.map((upstream) => upstream.url)
    assert.deepEqual(urls, ['https://a.example/v1', 'https://b.example/v1', 'https://c.example/v1', 'https://d.example/openai/v1', 'http://e.example:8080/v2'])
    assert.deepEqual(
      translation.notices.filter((line) => line.includes('endpoint')),
      [
        'openai-api-route upstreams.3.endpoint: the path /openai/v1 is now used (openai-api-route ignored it)',
        'openai-api-route upstreams.4.endpoint: the path /v2 is now used (openai-api-route ignored it)',
      ],
    )
    // No authorization anywhere: the route is open now, which the operator is told.
    assert.ok(translation.notices.some((line) => line.startsWith('openai-api-route authorization: empty')))

    const { lines } = issuesOf(() => fromOpenAIApiRoute({ upstreams: [{ endpoint: 'not a url' }, { sk: 'k' }, { endpoint: 'ftp://x.example' }] }))
    assert.deepEqual(lines, [
      'upstreams.0.endpoint: expected an http:// or https:// URL',
      'upstreams.1.endpoint: required: the upstream base URL',
      'upstreams.2.endpoint: expected an http:// or https:// URL',
    ])
  })

  // Replicate upstreams are translated now (issue 14): test/unit/provider-replicate.test.ts checks what they become.
  it('refuses an upstream type it does not know', () => {
    assert.deepEqual(issuesOf(() => fromOpenAIApiRoute({ upstreams: [{ endpoint: 'https://x.example', type: 'azure' }] })).lines, [
      'upstreams.0.type: expected openai or replicate',
    ])
  })

  it('collects every problem: bad lb_policy, unknown fields, bad address and dbtype', () => {
    validate(fromOpenAIApiRoute({ lb_policy: 'order', upstreams: [{ endpoint: 'https://x.example' }] }))
    const { lines, error } = issuesOf(() =>
      fromOpenAIApiRoute({
        address: '8888',
        lb_policy: 'round-robin',
        dbtype: 'mysql',
        listen: ':9000',
        upstreams: [{ endpoint: 'https://x.example', sk: 'sk-live-secret', weight: 2 }],
      }),
    )
    assert.deepEqual(lines, [
      'listen: unknown field',
      'address: expected host:port such as :8888 or 127.0.0.1:8888',
      'lb_policy: expected order or random',
      'dbtype: expected sqlite, postgres or none',
      'upstreams.0.weight: unknown field',
    ])
    assert.match(error.message, /^invalid config openai-api-route config:/)
    // PostgreSQL needs its DSN; a value that is not one is a config error that never echoes it (it holds the password).
    assert.deepEqual(issuesOf(() => fromOpenAIApiRoute({ dbtype: 'postgres', upstreams: [{ endpoint: 'https://x.example' }] })).lines, [
      'dbaddr: dbtype postgres needs dbaddr, a DSN such as "host=127.0.0.1 port=5432 user=postgres dbname=relay"',
    ])
    assert.throws(
      () => validateConfig(fromOpenAIApiRoute({ dbtype: 'postgres', dbaddr: 'not-a-dsn-pw-secret', upstreams: [{ endpoint: 'https://x.example' }] }).config),
      (error: Error) => /records\.url: expected a postgres:\/\/ URL/.test(error.message) && !error.message.includes('pw-secret'),
    )
  })

  it('reads IPv6 and host-only addresses', () => {
    const v6 = validate(fromOpenAIApiRoute({ address: '[::1]:9000', upstreams: [{ endpoint: 'https://x.example' }] }))
    assert.deepEqual([v6.server.host, v6.server.port], ['::1', 9000])
    const all = validate(fromOpenAIApiRoute({ address: ':80', dbtype: 'none', upstreams: [{ endpoint: 'https://x.example' }] }))
    assert.deepEqual([all.server.host, all.server.port], ['0.0.0.0', 80])
    assert.deepEqual(recordsWhere(all), { backend: 'none', chat: false })
  })
})

// seeds.md A.1.2: the example file, with req_rate_limit nested under rate_limit as the docs write it.
const forwardYaml = `
log:
  general: true
  openai: true
cache:
  general: true
  openai: true
  routes:
    - "/v1/chat/completions"
    - "/v1/embeddings"
  backend: LMDB
  root_path_or_url: "./FLAXKV_DB"
  default_request_caching_value: true
chat_completion_route: "/v1/chat/completions"
benchmark_mode: true
forward:
  - base_url: "https://api.openai.com"
    route: "/"
    type: "openai"
  - base_url: "https://generativelanguage.googleapis.com"
    route: "gemini/"
    type: "general"
  - base_url: "http://localhost:8080/v1"
    route: "/localai"
api_key:
  level:
    1: ["gpt-4"]
    2: ["gpt-3.5-turbo"]
  openai_key:
    "sk-xxx1": [0]
    "sk-xxx2": [1]
    "sk-xxx3": [1, "2"]
  forward_key:
    0: ["fk-0"]
    1: ["fk-1", "fk-11"]
    2: ["fk-2"]
rate_limit:
  global_rate_limit: "200/minute"
  strategy: "moving-window"
  iter_chunk: "one-by-one"
  backend: "redis://localhost:6379"
  req_rate_limit:
    - route: "/v1/chat/completions"
      value:
      - level: 0
        limit: "100/2minutes"
      - level: "1"
        limit: "10/minute"
  token_rate_limit:
    - route: "/v1/chat/completions"
      value:
      - level: 0
        limit: "60/second"
timeout: 6
ip_whitelist: ["127.0.0.1", "10.0.0.0/8"]
ip_blacklist: "192.168.1.9"
proxy: "http://proxy.local:7890"
default_stream_response: true
tz: Asia/Shanghai
webui_extra: 1
`

// The same settings as env vars, in the shapes the seed's .env uses.
const forwardEnv: Record<string, string> = {
  LOG_GENERAL: 'true',
  LOG_OPENAI: 'True',
  CACHE_GENERAL: '1',
  CACHE_OPENAI: 'TRUE',
  CACHE_ROUTES: '["/v1/chat/completions", "/v1/embeddings"]',
  CACHE_BACKEND: 'LMDB',
  CACHE_ROOT_PATH_OR_URL: './FLAXKV_DB',
  DEFAULT_REQUEST_CACHING_VALUE: 'true',
  CHAT_COMPLETION_ROUTE: '/v1/chat/completions',
  BENCHMARK_MODE: 'true',
  FORWARD_CONFIG:
    '[{"base_url":"https://api.openai.com","route":"/","type":"openai"},{"base_url":"https://generativelanguage.googleapis.com","route":"gemini/","type":"general"},{"base_url":"http://localhost:8080/v1","route":"/localai"}]',
  LEVEL_MODELS: '{"1": ["gpt-4"], "2": ["gpt-3.5-turbo"]}',
  OPENAI_API_KEY_CONFIG: '{"sk-xxx1": [0], "sk-xxx2": [1], "sk-xxx3": [1, "2"]}',
  FORWARD_KEY_CONFIG: '{"0": ["fk-0"], "1": ["fk-1", "fk-11"], "2": ["fk-2"]}',
  GLOBAL_RATE_LIMIT: '200/minute',
  RATE_LIMIT_STRATEGY: 'moving-window',
  ITER_CHUNK_TYPE: 'one-by-one',
  REQ_RATE_LIMIT_BACKEND: 'redis://localhost:6379',
  REQ_RATE_LIMIT: '{"/v1/chat/completions": [{"level": 0, "limit": "100/2minutes"}, {"level": "1", "limit": "10/minute"}]}',
  TOKEN_RATE_LIMIT: '{"/v1/chat/completions": [{"level": 0, "limit": "60/second"}]}',
  TIMEOUT: '6',
  IP_WHITELIST: '127.0.0.1, 10.0.0.0/8',
  IP_BLACKLIST: '192.168.1.9',
  PROXY: 'http://proxy.local:7890',
  DEFAULT_STREAM_RESPONSE: 'true',
  TZ: 'Asia/Shanghai',
}

function assertForwardExample(config: Config): void {
  assert.deepEqual(
    config.routes.map((route) => [route.path, route.type, route.upstreams.map((upstream) => [upstream.name, upstream.url])]),
    [
      ['/', 'openai', [['api.openai.com', 'https://api.openai.com']]],
      ['/gemini', 'general', [['generativelanguage.googleapis.com', 'https://generativelanguage.googleapis.com']]],
      ['/localai', 'openai', [['localhost:8080', 'http://localhost:8080/v1']]],
    ],
  )
  assert.deepEqual(config.access.forwardKeys, [
    { key: 'fk-0', level: 0 },
    { key: 'fk-1', level: 1 },
    { key: 'fk-11', level: 1 },
    { key: 'fk-2', level: 2 },
  ])
  assert.deepEqual(config.access.levels, [
    { level: 0, keys: ['sk-xxx1'] },
    { level: 1, models: ['gpt-4'], keys: ['sk-xxx2', 'sk-xxx3'] },
    { level: 2, models: ['gpt-3.5-turbo'], keys: ['sk-xxx3'] },
  ])
  assert.deepEqual(config.access.ip, { allow: ['127.0.0.1', '10.0.0.0/8'], deny: ['192.168.1.9'] })
  assert.equal(config.timeouts.connect, 6_000)
  assert.equal(config.proxy, 'http://proxy.local:7890')
  assert.equal(config.failover.maxAttempts, 4)
  assert.deepEqual(config.limits, {
    strategy: 'moving-window',
    backend: 'redis://localhost:6379',
    onBackendError: 'fail-open',
    backendTimeout: 200,
    global: '200/minute',
    requests: [
      { route: '/v1/chat/completions', level: 0, limit: '100/2minutes', per: 'client' },
      { route: '/v1/chat/completions', level: 1, limit: '10/minute', per: 'client' },
    ],
    streamPacing: [{ route: '/v1/chat/completions', level: 0, limit: '60/second' }],
    tokens: [],
  })
  // LMDB is kept in SQLite, under the seed's root path; CACHE_OPENAI with DEFAULT_REQUEST_CACHING_VALUE
  // true reads for every request; general routes cache the paths of CACHE_ROUTES.
  assert.equal(config.cache.backend, 'sqlite')
  assert.match(String(config.cache.path), /FLAXKV_DB\/cache\.sqlite$/)
  const openaiRoute = config.routes.find((route) => route.type === 'openai')
  assert.deepEqual(openaiRoute?.cache, { mode: 'always', scope: 'client', paths: ['/v1/chat/completions', '/v1/completions', '/v1/embeddings'] })
  const generalRoute = config.routes.find((route) => route.type === 'general')
  assert.deepEqual(generalRoute?.cache, { mode: 'always', scope: 'client', paths: ['/v1/chat/completions', '/v1/embeddings'] })
  assert.deepEqual(recordsWhere(config), { backend: 'sqlite', chat: true })
}

describe('OpenAI-Forward YAML config', () => {
  it('translates the example, reading req_rate_limit under rate_limit (the seed missed it)', () => {
    const translation = fromOpenAIForwardYaml(yaml(forwardYaml))
    assertForwardExample(validate(translation))
    assert.deepEqual(translation.notices, [
      'OpenAI-Forward webui_extra: unknown key ignored',
      'OpenAI-Forward rate_limit.iter_chunk: ignored: chunks are forwarded as they arrive',
      'OpenAI-Forward cache.backend: lmdb is kept in SQLite instead (a file under the data directory; it survives restarts like lmdb did)',
      'OpenAI-Forward default_stream_response: not needed: llm-relay never buffers a stream',
      'OpenAI-Forward chat_completion_route: ignored',
      'OpenAI-Forward tz: ignored',
      'OpenAI-Forward benchmark_mode: ignored',
      'OpenAI-Forward log.general: ignored',
    ])
  })

  it('also reads the top-level req_rate_limit and req_rate_limit_backend the seed read', () => {
    const config = validate(
      fromOpenAIForwardYaml({
        req_rate_limit: [{ route: '/v1/embeddings', value: [{ level: 0, limit: '5/second' }] }],
        req_rate_limit_backend: 'memory://',
        rate_limit: { req_rate_limit: [{ route: '/v1/chat/completions', value: [{ level: 0, limit: '1/second' }] }] },
      }),
    )
    assert.deepEqual(config.limits?.requests, [
      { route: '/v1/embeddings', level: 0, limit: '5/second', per: 'client' },
      { route: '/v1/chat/completions', level: 0, limit: '1/second', per: 'client' },
    ])
    assert.equal(config.limits?.backend, 'memory://')
  })

  it('defaults to one / route to api.openai.com with no limits, cache or records', () => {
    const translation = fromOpenAIForwardYaml({ timeout: 10, ip_blacklist: null, proxy: null, benchmark_mode: false })
    const config = validate(translation)
    assert.deepEqual(
      config.routes.map((route) => [route.path, route.type, route.upstreams[0]?.url]),
      [['/', 'openai', 'https://api.openai.com']],
    )
    assert.equal(config.limits, undefined)
    assert.ok(config.routes.every((route) => route.cache === undefined), 'no route caches')
    assert.deepEqual(recordsWhere(config), { backend: 'sqlite', chat: false }, 'the default: records in SQLite under dataDir, no chat log')
    assert.equal(config.proxy, undefined)
    assert.deepEqual(translation.notices, [])
  })

  it('lets a level without a model list use any model, with a notice, and ignores a level 0 list', () => {
    const translation = fromOpenAIForwardYaml({
      api_key: { forward_key: { 1: ['fk-1'], 3: ['fk-3'] }, level: { 0: ['gpt-4'], 1: ['gpt-4o'] }, openai_key: { 'sk-a': [1, 3] } },
    })
    const config = validate(translation)
    assert.deepEqual(config.access.levels, [
      { level: 1, models: ['gpt-4o'], keys: ['sk-a'] },
      { level: 3, keys: ['sk-a'] },
    ])
    assert.deepEqual(translation.notices, [
      'OpenAI-Forward api_key.level.0: ignored: level 0 may use any model',
      'OpenAI-Forward api_key.level: no entry for level 3: its forward keys may use any model',
    ])
  })

  it('skips a custom (litellm) forward target and rejects repeated routes and bad values', () => {
    const translation = fromOpenAIForwardYaml({
      forward: [
        { base_url: 'https://api.openai.com', route: '/openai' },
        { base_url: 'http://localhost:11434', route: '/', type: 'custom', backend: 'ollama' },
      ],
    })
    assert.deepEqual(validate(translation).routes.map((route) => route.path), ['/openai'])
    assert.ok(translation.notices.includes('OpenAI-Forward forward.1: type custom (litellm backends) is not supported; this forward target is skipped'))

    const { lines, error } = issuesOf(() =>
      fromOpenAIForwardYaml({
        forward: [
          { base_url: 'https://a.example', route: '/v1/' },
          { base_url: 'https://b.example', route: 'v1' },
          { base_url: 'localhost:8080', route: '/c' },
          { base_url: 'https://d.example', route: '/d', type: 'azure' },
        ],
        api_key: { forward_key: { 1: ['fk-secret-one'], x: ['fk-2'] }, openai_key: { 'sk-secret-two': 'all' } },
        rate_limit: { strategy: 'sliding-window-counter', req_rate_limit: [{ route: '/v1', value: [{ level: -1, limit: '1/second' }] }] },
        cache: { backend: 'redis' },
        ip_whitelist: ['10.0.0.300'],
        timeout: 'soon',
      }),
    )
    assert.deepEqual(lines, [
      'forward.1.route: same route as forward.0',
      'forward.2.base_url: expected an http:// or https:// URL',
      'forward.3.type: expected openai or general',
      'ip_whitelist.0: expected an IP address or CIDR range',
      'api_key.openai_key[0]: expected a list of levels',
      'api_key.forward_key[1]: expected a level: a whole number from 0',
      'timeout: expected a number of seconds',
      'rate_limit.strategy: expected fixed-window, moving-window or fixed-window-elastic-expiry',
      'rate_limit.req_rate_limit.0.value.0.level: expected a level: a whole number from 0',
      'cache.backend: expected MEMORY, LMDB or LevelDB',
    ])
    assert.match(error.message, /^invalid config OpenAI-Forward config:/)
    assert.ok(!error.message.includes('fk-secret-one') && !error.message.includes('sk-secret-two'), 'keys never appear in the message')
  })
})

describe('OpenAI-Forward environment', () => {
  it('translates the env form of the example to the same config as the YAML', () => {
    const translation = fromOpenAIForwardEnv(forwardEnv)
    const config = validate(translation)
    assertForwardExample(config)
    assert.deepEqual(config, validate(fromOpenAIForwardYaml(yaml(forwardYaml))))
    assert.ok(!translation?.notices.some((line) => line.includes('TOKEN_RATE_LIMIT')), 'stream pacing is implemented: no notice')
    assert.ok(translation?.notices.includes('OpenAI-Forward TZ: ignored'))
  })

  it('returns undefined when no OpenAI-Forward variable is set (TZ alone does not count)', () => {
    assert.equal(fromOpenAIForwardEnv({ TZ: 'UTC', PATH: '/usr/bin', TIMEOUT: ' ' }), undefined)
    const config = validate(fromOpenAIForwardEnv({ TIMEOUT: '2.5' }))
    assert.equal(config.timeouts.connect, 2_500)
    assert.equal(config.routes[0]?.upstreams[0]?.url, 'https://api.openai.com')
  })

  it('reads the legacy shapes: v0.6 forward keys, plain-string route limits, "0" levels (issue #134)', () => {
    const translation = fromOpenAIForwardEnv({
      FORWARD_KEY_CONFIG: '{"fk-0": 0, "fk-1": "1"}',
      OPENAI_API_KEY_CONFIG: '{"sk-a": ["0"], "sk-b": ["1"]}',
      LEVEL_MODELS: '{"1": ["gpt-4o-mini"]}',
      REQ_RATE_LIMIT: '{"/v1/chat/completions": "2/second"}',
      TOKEN_RATE_LIMIT: '{"/v1/chat/completions": [{"level": "0", "limit": "10/second"}]}',
    })
    const config = validate(translation)
    assert.deepEqual(config.access.forwardKeys, [
      { key: 'fk-0', level: 0 },
      { key: 'fk-1', level: 1 },
    ])
    assert.deepEqual(config.access.levels, [
      { level: 0, keys: ['sk-a'] },
      { level: 1, models: ['gpt-4o-mini'], keys: ['sk-b'] },
    ])
    assert.deepEqual(config.limits?.requests, [{ route: '/v1/chat/completions', level: 0, limit: '2/second', per: 'client' }])
    assert.deepEqual(config.limits?.streamPacing, [{ route: '/v1/chat/completions', level: 0, limit: '10/second' }])
    assert.equal(config.limits?.strategy, 'fixed-window')
    assert.ok(translation?.notices.includes('OpenAI-Forward FORWARD_KEY_CONFIG: read in the v0.6 shape {"<forward key>": <level>}'))
    assert.ok(translation?.notices.includes('OpenAI-Forward REQ_RATE_LIMIT./v1/chat/completions: read in the v0.6 shape "<limit>" as level 0'))
  })

  it('names the variable of bad JSON or a bad boolean, and never echoes a key variable', () => {
    validate(fromOpenAIForwardEnv({ CACHE_OPENAI: '0', LOG_OPENAI: 'false' }))
    const secret = 'sk-live-0123456789abcdef'
    const { lines, error } = issuesOf(() =>
      fromOpenAIForwardEnv({
        OPENAI_API_KEY_CONFIG: `{${secret}: [0]}`,
        FORWARD_KEY_CONFIG: secret,
        LEVEL_MODELS: '{"1": ["gpt-4"],}',
        CACHE_OPENAI: 'yes',
        LOG_OPENAI: 'on',
      }),
    )
    // V8 words its JSON messages differently across Node versions; the variable and the prefix are ours.
    assert.equal(lines.length, 5)
    assert.match(lines[0] ?? '', /^OPENAI_API_KEY_CONFIG: not valid JSON: Expected property name/)
    assert.equal(lines[1], 'FORWARD_KEY_CONFIG: not valid JSON: Unexpected token')
    assert.match(lines[2] ?? '', /^LEVEL_MODELS: not valid JSON: Expected double-quoted property name/)
    assert.deepEqual(lines.slice(3), ['CACHE_OPENAI: expected true, false, 1 or 0', 'LOG_OPENAI: expected true, false, 1 or 0'])
    assert.match(error.message, /^invalid config OpenAI-Forward environment:/)
    assert.ok(!error.message.includes(secret.slice(0, 8)), error.message)
  })
})

describe('detectFormat', () => {
  it('tells the three formats apart, and each detected seed file translates', () => {
    const apiRoute = yaml(apiRouteSample)
    const forward = yaml(forwardYaml)
    assert.equal(detectFormat(apiRoute), 'openai-api-route')
    assert.equal(detectFormat(forward), 'openai-forward')
    assert.equal(detectFormat({ cache: { root_path_or_url: '.' } }), 'openai-forward')
    assert.equal(detectFormat({ log: { openai: true } }), 'openai-forward')
    validate(fromOpenAIApiRoute(apiRoute))
    validate(fromOpenAIForwardYaml(forward))

    const native: ConfigInput = { routes: [{ path: '/', upstreams: [{ url: 'https://api.openai.com' }] }], cache: { backend: 'memory' }, log: { level: 'info' } }
    assert.equal(detectFormat(native), 'native')
    validate({ config: native, notices: [] })
    // A `routes` key always means native, whatever else is there; a native file missing routes stays native.
    assert.equal(detectFormat({ ...native, upstreams: [], forward: [] }), 'native')
    assert.equal(detectFormat({ upstreams: [] }), 'openai-api-route')
    assert.equal(detectFormat({ proxy: 'http://p.local:1', cache: { openai: true } }), 'native')
    assert.equal(detectFormat({}), 'native')
  })
})
