import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import { loadConfig, type LoadOptions } from '../../src/config/load.js'
import { ConfigError } from '../../src/config/errors.js'
import { startCli } from '../helpers/cli.js'
import { startMock } from '../helpers/mock.js'
import { freePort } from '../helpers/ports.js'

// Issue 2, point 6 and "Tests": the secrets canary. Start with distinctive keys, run traffic that takes every
// path (success, failover, all upstreams failing, bad token, bad model, bad JSON, a refused reload), then grep
// every output for them: zero hits.

const canary = {
  upstream: 'sk-CANARY-UPSTREAM-7f3a',
  upstream2: 'sk-CANARY-UPSTREAM2-0b9d',
  upstream3: 'sk-CANARY-UPSTREAM3-e4c1',
  level: 'sk-CANARY-LEVEL-3c2e',
  client: 'tok-CANARY-CLIENT-91bc',
  forward: 'fk-CANARY-FORWARD-55de',
}
const canaries = Object.values(canary)

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
}

/** Which canaries occur in a text, as `label: canary`. */
function hits(label: string, text: string): string[] {
  return canaries.filter((secret) => text.includes(secret)).map((secret) => `${label}: ${secret}`)
}

test('secrets canary: no key, token or forward key in any output, file, answer or header', async (t) => {
  const [bad, flaky, good, picky] = await Promise.all([
    startMock(t, { behaviour: { status: 401 } }),
    startMock(t, { behaviour: { status: 500 } }),
    startMock(t),
    startMock(t),
  ])
  const deadPort = await freePort()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-canary-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const configFile = join(dir, 'config.yaml')
  // Secrets come from the environment, so the config file itself holds none and every file can be grepped.
  const config = `log: { level: debug }
dataDir: ./data
server: { host: 127.0.0.1, port: ${port} }
access:
  clientTokens: ['\${CLIENT_TOKEN}']
  forwardKeys: [{ key: '\${FORWARD_KEY}', level: 1 }]
  levels: [{ level: 1, models: [gpt-4o-mini], keys: ['\${LEVEL_KEY}'] }]
routes:
  - path: /
    upstreams:
      - { name: bad, url: '${bad.url}', keys: ['\${UPSTREAM_KEY}'] }
      - { name: flaky, url: '${flaky.url}', keys: ['\${UPSTREAM_KEY_2}'] }
      - { name: good, url: '${good.url}', keys: ['\${UPSTREAM_KEY_3}'] }
  - path: /solo
    upstreams:
      - { name: dead, url: 'http://127.0.0.1:${deadPort}', keys: ['\${UPSTREAM_KEY}'] }
      - { name: refusing, url: '${bad.url}', keys: ['\${UPSTREAM_KEY_2}'] }
  - path: /fk
    upstreams:
      - { name: by-level, url: '${good.url}' }
  - path: /picky
    upstreams:
      - { name: picky, url: '${picky.url}', keys: ['\${UPSTREAM_KEY_3}'], models: { allow: [gpt-4o-mini] } }
`
  writeFileSync(configFile, config)
  const env = {
    CLIENT_TOKEN: canary.client,
    FORWARD_KEY: canary.forward,
    LEVEL_KEY: canary.level,
    UPSTREAM_KEY: canary.upstream,
    UPSTREAM_KEY_2: canary.upstream2,
    UPSTREAM_KEY_3: canary.upstream3,
  }
  const cli = startCli(t, ['run', '--config', configFile], { cwd: dir, env, entry: 'src' })
  await cli.waitFor(/keys .*forward keys/, 60_000)
  const base = `http://127.0.0.1:${port}`

  // Everything any client received.
  const received: string[] = []
  const raw = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const answer = await request(`${base}${path}`, { method: init.method ?? 'POST', headers: { 'content-type': 'application/json', ...init.headers }, body: init.body ?? null })
    const text = await answer.body.text()
    received.push(JSON.stringify(answer.headers), text)
    return { status: answer.statusCode, text }
  }
  const chatBody = (model: string, stream = false) => JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] })
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

  // 1. Success after failover: bad answers 401 (our key refused), flaky 500, good serves. JSON and stream.
  const sdk = new OpenAI({ apiKey: canary.client, baseURL: `${base}/v1`, maxRetries: 0 })
  const { data, response } = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse()
  received.push(JSON.stringify(data), JSON.stringify([...response.headers]))
  assert.equal(data.object, 'chat.completion')
  const streamed = await raw('/v1/chat/completions', { headers: bearer(canary.client), body: chatBody('gpt-4o-mini', true) })
  assert.equal(streamed.status, 200)
  assert.match(streamed.text, /data: \[DONE\]/)
  // 2. All upstreams fail: connection refused, then a 401 on our key.
  const failed = await raw('/solo/v1/chat/completions', { headers: bearer(canary.client), body: chatBody('gpt-4o-mini') })
  assert.equal(failed.status, 502)
  assert.match(failed.text, /dead \(connection failed\), refusing \(HTTP 401\)/)
  // 3. Forward key: its level key upstream; a model outside its level.
  assert.equal((await raw('/fk/v1/chat/completions', { headers: bearer(canary.forward), body: chatBody('gpt-4o-mini') })).status, 200)
  assert.equal((await raw('/fk/v1/chat/completions', { headers: bearer(canary.forward), body: chatBody('gpt-4o') })).status, 403)
  // 4. A wrong token (close to the real one), none at all, a model nobody serves, bad JSON holding the token.
  assert.equal((await raw('/v1/chat/completions', { headers: bearer(`${canary.client}x`), body: chatBody('gpt-4o-mini') })).status, 401)
  assert.equal((await raw('/v1/models', { method: 'GET' })).status, 401)
  assert.equal((await raw('/picky/v1/chat/completions', { headers: bearer(canary.client), body: chatBody('gpt-9') })).status, 404)
  const badJson = await raw('/v1/chat/completions', { headers: bearer(canary.client), body: `{"model": "gpt-4o-mini", "note": "${canary.client}", }` })
  assert.equal(badJson.status, 400)
  assert.equal((await raw('/v1/chat/completions', { headers: bearer(canary.client), body: '{"model": 42}' })).status, 400)
  try {
    await new OpenAI({ apiKey: 'wrong', baseURL: `${base}/v1`, maxRetries: 0 }).models.list()
    assert.fail('expected a 401')
  } catch (error) {
    assert.ok(error instanceof OpenAI.AuthenticationError)
    received.push(error.message, JSON.stringify(error.error), JSON.stringify([...(error.headers ?? [])]))
  }

  // 5. A broken config edit that puts a key where a list belongs: refused, logged without the key.
  writeFileSync(configFile, config.replace(`keys: ['\${UPSTREAM_KEY_3}'] }\n  - path: /solo`, `keys: '\${UPSTREAM_KEY_3}' }\n  - path: /solo`))
  await cli.waitFor(/config reload refused/, 60_000)

  // The traffic really used the canaries (a grep that finds nothing must not be a grep of nothing).
  assert.deepEqual(bad.requests.map((entry) => entry.headers.authorization).slice(0, 1), [`Bearer ${canary.upstream}`])
  assert.deepEqual(flaky.requests.map((entry) => entry.headers.authorization).slice(0, 1), [`Bearer ${canary.upstream2}`])
  assert.ok(good.requests.some((entry) => entry.headers.authorization === `Bearer ${canary.upstream3}`))
  assert.ok(good.requests.some((entry) => entry.headers.authorization === `Bearer ${canary.level}`))
  assert.equal(picky.requests.length, 0)
  assert.ok(cli.stdout().includes('"level":20'), 'debug lines were logged')
  assert.ok(cli.stdout().includes('"level":40'), 'warnings (the failed attempts) were logged')

  cli.child.kill('SIGTERM')
  assert.equal((await cli.exit).code, 0)

  const found = [
    ...hits('stdout', cli.stdout()),
    ...hits('stderr', cli.stderr()),
    ...filesUnder(dir).flatMap((file) => hits(file, readFileSync(file, 'latin1'))),
    ...received.flatMap((text, index) => hits(`answer #${index}`, text)),
  ]
  assert.deepEqual(found, [])
  assert.ok(filesUnder(dir).some((file) => file.endsWith('config.yaml')))
})

test('secrets canary: config errors about key fields never echo the key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-canary-check-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, 'native.yaml'),
    `access:
  clientTokens: ${canary.client}
  forwardKeys:
    - key: ${canary.forward}
      level: -1
  levels:
    - level: 1
      keys: ${canary.level}
routes:
  - path: /
    upstreams:
      - url: http://127.0.0.1:1
        keys: ${canary.upstream}
        apiKey: ${canary.upstream2}
        token: ${canary.upstream3}
`,
  )
  writeFileSync(
    join(dir, 'api-route.yaml'),
    `authorization: [${canary.client}, 12]
upstreams:
  - sk: [${canary.upstream}]
    endpoint: not a url
    authorization: { token: ${canary.client} }
    api_key: ${canary.upstream2}
`,
  )
  writeFileSync(
    join(dir, 'forward.yaml'),
    `forward:
  - base_url: http://127.0.0.1:1
    route: /
api_key:
  openai_key:
    ${canary.upstream}: [zero]
  forward_key:
    0: [${canary.forward}]
    1: [${canary.forward}]
`,
  )
  // `check` as a user runs it, on the native file; the seed formats through the same loader in-process.
  const check = startCli(t, ['check', '--config', 'native.yaml'], { cwd: dir, entry: 'src' })
  const runs = [{ file: 'native.yaml', code: (await check.exit).code, output: check.stdout() + check.stderr() }]
  const loadError = (options: LoadOptions): string => {
    try {
      loadConfig({ cwd: dir, env: {}, ...options })
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error))
      return error.message
    }
    return assert.fail('expected a ConfigError')
  }
  runs.push({ file: 'api-route.yaml', code: 1, output: loadError({ file: 'api-route.yaml' }) })
  runs.push({ file: 'forward.yaml', code: 1, output: loadError({ file: 'forward.yaml' }) })
  // The OpenAI-Forward env form: broken JSON that starts with a key, and a forward key where JSON belongs.
  const env = {
    OPENAI_API_KEY_CONFIG: `{"${canary.upstream}": [0],}`,
    FORWARD_KEY_CONFIG: canary.forward,
    FORWARD_CONFIG: '[{"base_url": "http://127.0.0.1:1", "route": "/", "type": "openai"}]',
  }
  runs.push({ file: 'env', code: 1, output: loadError({ env }) })

  for (const run of runs) {
    assert.equal(run.code, 1, `${run.file}: ${run.output}`)
    assert.match(run.output, /\(got .+\)/, `${run.file} lists problems: ${run.output}`)
    assert.deepEqual(hits(run.file, run.output), [], run.output)
  }
  // The problems are there, each named by its path.
  const native = runs[0]!.output
  for (const path of ['access.clientTokens', 'access.forwardKeys.0.level', 'access.levels.0.keys', 'routes.0.upstreams.0.keys', 'routes.0.upstreams.0.apiKey', 'routes.0.upstreams.0.token']) {
    assert.ok(native.includes(`  ${path}: `), `${path} missing in:\n${native}`)
  }
})
