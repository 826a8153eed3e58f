import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { request } from 'undici'
import { startCli } from '../helpers/cli.js'
import { startMock } from '../helpers/mock.js'
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js'

// Issue 15, points 1, 2, 5 and 6 through the admin API: its own listener, logins and roles, the config
// read masked and changed through the YAML document (comments and ${VAR} kept, 412 on a stale edit,
// a broken edit refused with the loader's messages), and no secret in any answer.

const ADMIN = 'admin-password-test-4419'
const VIEWER = 'viewer-password-test-8830'
const secrets = ['sk-literal-upstream-secret-9d1e', 'sk-env-upstream-secret-55aa', ADMIN, VIEWER, 'tok-client-secret-0c3f']

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  json: Record<string, unknown>
  text: string
}

async function call(url: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const answer = await request(`${url}${path}`, {
    method: method as 'GET',
    headers: { ...(options.body !== undefined && { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  })
  const text = await answer.body.text()
  const json = String(answer.headers['content-type']).includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {}
  return { status: answer.statusCode, headers: answer.headers, text, json }
}

const configText = (mockUrl: string) => `# The test gateway. This comment must survive every edit.
admin:
  port: 0
  password: \${ADMIN_PASSWORD} # from the environment
  viewerPassword: ${VIEWER}
access:
  clientTokens: [tok-client-secret-0c3f]
routes:
  - path: /
    upstreams:
      # The main upstream: its key is written here.
      - name: main
        url: ${mockUrl}
        keys: [sk-literal-upstream-secret-9d1e]
      - name: second
        url: ${mockUrl}
        keys: ['\${SECOND_KEY}']
`

async function start(t: TestContext): Promise<{ relay: TestRelay; admin: string; mockUrl: string }> {
  const mock = await startMock(t)
  const relay = await startRelay(t, configText(mock.url), { env: { ADMIN_PASSWORD: ADMIN, SECOND_KEY: 'sk-env-upstream-secret-55aa' }, failOnErrorLogs: false })
  assert.ok(relay.admin !== undefined, 'the admin listener is on')
  return { relay, admin: relay.admin.url, mockUrl: mock.url }
}

async function login(admin: string, password: string): Promise<string> {
  const answer = await call(admin, 'POST', '/admin/api/login', { body: { password } })
  assert.equal(answer.status, 200, answer.text)
  const cookie = String(answer.headers['set-cookie'])
  return cookie.split(';')[0]!
}

function leaked(text: string): string[] {
  return secrets.filter((secret) => text.includes(secret))
}

test('issue 15: the admin API listens on its own port; logins: wrong refused, right gives an HttpOnly SameSite=Strict session, logout ends it; Bearer for scripts', async (t) => {
  const { relay, admin } = await start(t)
  assert.notEqual(new URL(admin).port, new URL(relay.url).port)
  const onRelay = await call(relay.url, 'GET', '/admin/api/me')
  assert.notEqual(onRelay.status, 200, 'the relay port does not serve the admin API')

  const wrong = await call(admin, 'POST', '/admin/api/login', { body: { password: 'guess' } })
  assert.equal(wrong.status, 401)
  assert.equal(wrong.headers['set-cookie'], undefined)
  assert.equal((await call(admin, 'GET', '/admin/api/me')).status, 401)

  const answer = await call(admin, 'POST', '/admin/api/login', { body: { password: ADMIN } })
  const setCookie = String(answer.headers['set-cookie'])
  assert.match(setCookie, /HttpOnly/)
  assert.match(setCookie, /SameSite=Strict/)
  assert.match(setCookie, /Max-Age=43200/)
  const cookie = setCookie.split(';')[0]!
  assert.deepEqual((await call(admin, 'GET', '/admin/api/me', { headers: { cookie } })).json, { role: 'admin', via: 'session' })
  assert.equal((await call(admin, 'POST', '/admin/api/logout', { headers: { cookie } })).status, 200)
  assert.equal((await call(admin, 'GET', '/admin/api/me', { headers: { cookie } })).status, 401, 'the old cookie is dead')

  assert.deepEqual((await call(admin, 'GET', '/admin/api/me', { headers: { authorization: `Bearer ${ADMIN}` } })).json, { role: 'admin', via: 'bearer' })
  assert.deepEqual((await call(admin, 'GET', '/admin/api/me', { headers: { authorization: `Bearer ${VIEWER}` } })).json, { role: 'viewer', via: 'bearer' })
  assert.equal((await call(admin, 'GET', '/admin/api/me', { headers: { authorization: 'Bearer nope' } })).status, 401)
  assert.deepEqual(leaked(relay.logs.join('\n')), [])
})

test('issue 15: failed logins are throttled: the 11th from one address in 5 minutes gets 429 with Retry-After, even with the right password', async (t) => {
  const { admin } = await start(t)
  for (let attempt = 0; attempt < 10; attempt++) assert.equal((await call(admin, 'POST', '/admin/api/login', { body: { password: `wrong-${attempt}` } })).status, 401)
  const throttled = await call(admin, 'POST', '/admin/api/login', { body: { password: ADMIN } })
  assert.equal(throttled.status, 429)
  assert.equal((throttled.json.error as { code: string }).code, 'RELAY_ERR_LOGIN_THROTTLED')
  assert.ok(Number(throttled.headers['retry-after']) > 0)
})

test('issue 15: without a password set, one is generated into <dataDir>/admin-password (0600), the banner names the file, it opens the API', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { admin: { port: 0 }, routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
  const file = relay.admin?.passwordFile
  assert.equal(file, join(relay.dir, 'data', 'admin-password'))
  assert.equal(statSync(file).mode & 0o777, 0o600)
  const password = readFileSync(file, 'utf8').trim()
  assert.ok(password.length >= 24)
  assert.equal((await call(relay.admin!.url, 'GET', '/admin/api/me', { headers: { authorization: `Bearer ${password}` } })).status, 200)
  assert.ok(!relay.logs.join('\n').includes(password), 'never logged')
})

test('issue 15: the config comes back masked: literal secrets as ********last4, ${VAR} references as written, with an ETag', async (t) => {
  const { relay, admin } = await start(t)
  const viewer = await login(admin, VIEWER)
  const answer = await call(admin, 'GET', '/admin/api/config', { headers: { cookie: viewer } })
  assert.equal(answer.status, 200)
  const source = String(answer.json.source)
  assert.match(source, /keys: \[ "\*{8}9d1e" \]|keys: \[ '\*{8}9d1e' \]|keys:\s*\[\s*"?\*{8}9d1e"?\s*\]/)
  assert.match(source, /\$\{SECOND_KEY\}/)
  assert.match(source, /\$\{ADMIN_PASSWORD\}/)
  assert.match(source, /This comment must survive every edit/)
  assert.equal(answer.headers.etag, answer.json.etag)
  assert.equal(answer.json.readOnly, null)
  assert.deepEqual(leaked(answer.text), [])
  assert.ok(readFileSync(relay.configFile, 'utf8').includes('sk-literal-upstream-secret-9d1e'), 'the file itself keeps the key')
})

test('issue 15: an edit changes the YAML document (comments and ${VAR} kept), is validated, written and reloaded: the next request goes where it says', async (t) => {
  const { relay, admin } = await start(t)
  const moved = await startMock(t)
  const cookie = await login(admin, ADMIN)
  const { etag } = (await call(admin, 'GET', '/admin/api/config', { headers: { cookie } })).json as { etag: string }
  const edited = await call(admin, 'PUT', '/admin/api/config', {
    headers: { cookie, 'if-match': etag, origin: admin },
    body: { edits: [{ op: 'set', path: ['routes', 0, 'upstreams', 0, 'url'], value: moved.url }] },
  })
  assert.equal(edited.status, 200, edited.text)
  assert.equal(edited.json.applied, true)
  assert.notEqual(edited.json.etag, etag)
  const written = readFileSync(relay.configFile, 'utf8')
  assert.match(written, /# The test gateway\. This comment must survive every edit\./)
  assert.match(written, /# The main upstream: its key is written here\./)
  assert.match(written, /password: \$\{ADMIN_PASSWORD\} # from the environment/)
  assert.match(written, /keys: \['\$\{SECOND_KEY\}'\]/)
  assert.match(written, /sk-literal-upstream-secret-9d1e/)
  assert.ok(written.includes(`url: ${moved.url}`))
  await new OpenAI({ apiKey: 'tok-client-secret-0c3f', baseURL: `${relay.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(moved.requests.length, 1, 'the new upstream answered')
  assert.equal(moved.requests[0]!.headers.authorization, 'Bearer sk-literal-upstream-secret-9d1e', 'its key was kept')
})

test('issue 15: the raw editor: a document sent back with its masks in place keeps the secrets; a stale ETag gets 412, none 428; a broken one 422 with the loader\'s messages and nothing changed', async (t) => {
  const { relay, admin } = await start(t)
  const headers = { authorization: `Bearer ${ADMIN}` }
  const view = (await call(admin, 'GET', '/admin/api/config', { headers })).json as { etag: string; source: string }
  const renamed = view.source.replace('name: main', 'name: primary')
  const written = await call(admin, 'PUT', '/admin/api/config', { headers: { ...headers, 'if-match': view.etag }, body: { source: renamed } })
  assert.equal(written.status, 200, written.text)
  await eventually(() => relay.holder.current.config.routes[0]!.upstreams[0]!.name === 'primary')
  assert.equal(relay.holder.current.config.routes[0]!.upstreams[0]!.keys[0], 'sk-literal-upstream-secret-9d1e', 'the mask stood for the key')

  const stale = await call(admin, 'PUT', '/admin/api/config', { headers: { ...headers, 'if-match': view.etag }, body: { source: renamed } })
  assert.equal(stale.status, 412)
  assert.equal((stale.json.error as { code: string }).code, 'RELAY_ERR_CONFIG_CONFLICT')
  assert.equal(stale.headers.etag, written.json.etag)
  assert.equal((await call(admin, 'PUT', '/admin/api/config', { headers, body: { source: renamed } })).status, 428)

  // An edit on disk is a conflict too.
  const current = String(written.json.etag)
  writeFileSync(relay.configFile, `${readFileSync(relay.configFile, 'utf8')}\n# edited by hand\n`)
  assert.equal((await call(admin, 'PUT', '/admin/api/config', { headers: { ...headers, 'if-match': current }, body: { edits: [{ op: 'set', path: ['routes', 0, 'upstreams', 0, 'name'], value: 'x' }] } })).status, 412)

  const onDisk = readFileSync(relay.configFile, 'utf8')
  const runtime = relay.holder.current
  const fresh = (await call(admin, 'GET', '/admin/api/config', { headers })).json as { etag: string }
  const broken = await call(admin, 'PUT', '/admin/api/config', { headers: { ...headers, 'if-match': fresh.etag }, body: { edits: [{ op: 'set', path: ['routes', 0, 'upstreams', 0, 'url'], value: 'not-a-url' }] } })
  assert.equal(broken.status, 422)
  assert.deepEqual((broken.json.error as { issues: unknown }).issues, [{ path: 'routes.0.upstreams.0.url', problem: 'expected an http:// or https:// URL' }])
  assert.equal(readFileSync(relay.configFile, 'utf8'), onDisk, 'nothing written')
  assert.equal(relay.holder.current, runtime, 'the running config stays')

  const moved = await call(admin, 'PUT', '/admin/api/config', { headers: { ...headers, 'if-match': fresh.etag }, body: { source: view.source.replace('- name: main', '- name: main\n        headers: { x-a: "********9d1e" }') } })
  assert.equal(moved.status, 422, 'a mask moved to another place is refused')
  const check = await call(admin, 'POST', '/admin/api/config/check', { headers, body: { source: 'routes: []' } })
  assert.deepEqual(check.json, { issues: [{ path: 'routes', problem: 'at least one route is needed' }] })
  for (const answer of [written, stale, broken, moved, check]) assert.deepEqual(leaked(answer.text), [])
})

test('issue 15: the viewer changes nothing; a browser change from another origin or not as JSON is refused', async (t) => {
  const { admin } = await start(t)
  const viewer = await login(admin, VIEWER)
  const { etag } = (await call(admin, 'GET', '/admin/api/config', { headers: { cookie: viewer } })).json as { etag: string }
  const edits = [{ op: 'set', path: ['routes', 0, 'upstreams', 0, 'name'], value: 'x' }]
  const refused = await call(admin, 'PUT', '/admin/api/config', { headers: { cookie: viewer, 'if-match': etag }, body: { edits } })
  assert.equal(refused.status, 403)
  assert.equal((refused.json.error as { code: string }).code, 'RELAY_ERR_ADMIN_FORBIDDEN')
  const cookie = await login(admin, ADMIN)
  const foreign = await call(admin, 'PUT', '/admin/api/config', { headers: { cookie, 'if-match': etag, origin: 'https://evil.example' }, body: { edits } })
  assert.equal(foreign.status, 403)
  const form = await request(`${admin}/admin/api/config`, { method: 'PUT', headers: { cookie, 'if-match': etag, 'content-type': 'text/plain' }, body: JSON.stringify({ edits }) })
  assert.ok(form.statusCode >= 400 && form.statusCode < 500)
  await form.body.dump()
})

test('issue 15: a seed-format config is shown read-only, and a change gets 409', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, `upstreams:\n  - sk: sk-seed-secret-1234567\n    endpoint: ${mock.url}\n`, { env: { LLM_RELAY_ADMIN_PASSWORD: ADMIN }, webui: true })
  const headers = { authorization: `Bearer ${ADMIN}` }
  const view = await call(relay.admin!.url, 'GET', '/admin/api/config', { headers })
  assert.match(String(view.json.readOnly), /seed format/)
  assert.deepEqual(leaked(view.text).concat(view.text.includes('sk-seed-secret-1234567') ? ['seed key'] : []), [])
  const change = await call(relay.admin!.url, 'PUT', '/admin/api/config', { headers: { ...headers, 'if-match': String(view.json.etag) }, body: { source: 'routes: []' } })
  assert.equal(change.status, 409)
  assert.equal((change.json.error as { code: string }).code, 'RELAY_ERR_CONFIG_READ_ONLY')
})

test('issue 15: llm-relay check --print-native writes any config as native YAML, secrets masked unless --with-secrets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-native-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'config.yaml'), 'upstreams:\n  - sk: sk-seed-secret-1234567\n    endpoint: https://api.example.com\n')
  const masked = startCli(t, ['check', '--config', 'config.yaml', '--print-native'], { cwd: dir, entry: 'src' })
  assert.equal((await masked.exit).code, 0, masked.output())
  assert.match(masked.stdout(), /keys:\s*\n\s*- "?\*{8}4567"?/)
  assert.match(masked.stdout(), /url: https:\/\/api\.example\.com\/v1/)
  assert.ok(!masked.stdout().includes('sk-seed-secret-1234567'))
  const plain = startCli(t, ['check', '--config', 'config.yaml', '--print-native', '--with-secrets'], { cwd: dir, entry: 'src' })
  assert.equal((await plain.exit).code, 0)
  assert.match(plain.stdout(), /sk-seed-secret-1234567/)
})

test('issue 15: every change is in the audit log (who, when, from where, a masked diff), kept in the records database; the viewer reads it', async (t) => {
  const { relay, admin } = await start(t)
  await call(admin, 'POST', '/admin/api/login', { body: { password: 'wrong' } })
  const cookie = await login(admin, ADMIN)
  const { etag } = (await call(admin, 'GET', '/admin/api/config', { headers: { cookie } })).json as { etag: string }
  const edits = [
    { op: 'set', path: ['routes', 0, 'upstreams', 1, 'name'], value: 'renamed' },
    { op: 'append', path: ['routes', 0, 'upstreams', 0, 'keys'], value: 'sk-new-secret-appended-77ab' },
  ]
  assert.equal((await call(admin, 'PUT', '/admin/api/config', { headers: { cookie, 'if-match': etag }, body: { edits } })).status, 200)
  await call(admin, 'POST', '/admin/api/logout', { headers: { cookie } })

  const log = await call(admin, 'GET', '/admin/api/audit', { headers: { authorization: `Bearer ${VIEWER}` } })
  assert.equal(log.status, 200)
  const entries = (log.json as { entries: { action: string; actor: string; address: string; time: number; summary: string; diff?: string }[] }).entries
  assert.deepEqual(
    entries.map((entry) => [entry.action, entry.actor]),
    [
      ['logout', 'admin (session)'],
      ['config-change', 'admin (session)'],
      ['login', 'admin (session)'],
      ['login-refused', 'nobody'],
    ],
  )
  assert.ok(entries.every((entry) => entry.address === '127.0.0.1' && Date.now() - entry.time < 60_000))
  const diff = entries[1]!.diff ?? ''
  assert.match(diff, /^-\s+- name: second$/m)
  assert.match(diff, /^\+\s+- name: renamed$/m)
  assert.match(diff, /\*{8}77ab/, 'the new key appears masked')
  assert.deepEqual(leaked(log.text).concat(log.text.includes('sk-new-secret-appended-77ab') ? ['new key'] : []), [])
  // Beside the records: the SQLite file holds it.
  const { SqliteAuditStore } = await import('../../src/storage/sqlite/audit-store.js')
  const store = new SqliteAuditStore(join(relay.dir, 'data', 'records.sqlite'))
  t.after(() => store.close())
  assert.equal((await store.list({ limit: 10 })).length, 4)
})

test('issue 15: requests: the records newest first, filtered, in keyset pages, one in full; the viewer sees no content', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(
    t,
    {
      admin: { port: 0, password: ADMIN, viewerPassword: VIEWER },
      records: { level: 'full', flushInterval: '50ms' },
      routes: [{ path: '/', upstreams: [{ name: 'main', url: mock.url, keys: ['sk-literal-upstream-secret-9d1e'] }] }],
    },
    { failOnErrorLogs: false },
  )
  const client = new OpenAI({ apiKey: 'anything', baseURL: `${relay.url}/v1`, maxRetries: 0 })
  for (let index = 0; index < 5; index++) await client.chat.completions.create({ model: index % 2 === 0 ? 'gpt-4o' : 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${index}` }] }, { headers: { 'x-request-id': `req-${index}` } })
  await client.chat.completions.create({ model: 'gpt-4o', messages: [] }, { headers: { 'x-mock-status': '500', 'x-request-id': 'req-failed' } }).catch(() => undefined)
  const admin = relay.admin!.url
  const headers = { authorization: `Bearer ${ADMIN}` }
  let all: { id: string; seq: number; status: number; model: string }[] = []
  for (let tries = 0; tries < 300 && all.length < 6; tries++) {
    all = ((await call(admin, 'GET', '/admin/api/requests', { headers })).json as { records: typeof all }).records
    if (all.length < 6) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.deepEqual(all.map((record) => record.id), ['req-failed', 'req-4', 'req-3', 'req-2', 'req-1', 'req-0'])
  assert.ok(all.every((record) => !('content' in record) && !('attempts' in record)), 'rows are lean')

  const failed = (await call(admin, 'GET', '/admin/api/requests?status=5xx', { headers })).json as { records: typeof all }
  assert.deepEqual(failed.records.map((record) => record.id), ['req-failed'])
  const minis = (await call(admin, 'GET', '/admin/api/requests?model=gpt-4o-mini', { headers })).json as { records: typeof all }
  assert.deepEqual(minis.records.map((record) => record.id), ['req-3', 'req-1'])
  assert.deepEqual(((await call(admin, 'GET', '/admin/api/requests?id=req-', { headers })).json as { records: typeof all }).records.length, 6)

  const first = (await call(admin, 'GET', '/admin/api/requests?limit=4', { headers })).json as { records: typeof all; next: string }
  assert.deepEqual(first.records.map((record) => record.id), ['req-failed', 'req-4', 'req-3', 'req-2'])
  const second = (await call(admin, 'GET', `/admin/api/requests?limit=4&before=${first.next}`, { headers })).json as { records: typeof all; next: string | null }
  assert.deepEqual(second.records.map((record) => record.id), ['req-1', 'req-0'])
  assert.equal(second.next, null)

  const seq = all[1]!.seq
  const full = (await call(admin, 'GET', `/admin/api/requests/${seq}`, { headers })).json as { attempts: unknown[]; content: { request: { messages: { content: string }[] }; response: string } }
  assert.equal(full.content.request.messages[0]!.content, 'question 4')
  assert.equal(full.content.response, 'tok0 tok1 tok2 ')
  assert.equal(full.attempts.length, 1)
  const viewed = await call(admin, 'GET', `/admin/api/requests/${seq}`, { headers: { authorization: `Bearer ${VIEWER}` } })
  assert.equal(viewed.json.content, undefined)
  assert.equal(viewed.json.contentHidden, true)
  assert.equal((await call(admin, 'GET', '/admin/api/requests?status=abc', { headers })).status, 400)
  const missing = await call(admin, 'GET', '/admin/api/requests/999999', { headers })
  assert.equal(missing.status, 404)
  assert.equal((missing.json.error as { code: string }).code, 'RELAY_ERR_ADMIN_NOT_FOUND')
})

test('issue 15: with records off the request list is empty and says why', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, {
    admin: { port: 0, password: ADMIN },
    records: { backend: 'none' },
    routes: [{ path: '/', upstreams: [{ name: 'main', url: mock.url }] }],
  })
  const headers = { authorization: `Bearer ${ADMIN}` }
  const list = await call(relay.admin!.url, 'GET', '/admin/api/requests', { headers })
  assert.equal(list.status, 200)
  assert.deepEqual(list.json, { records: [], next: null, recordsOff: true })
  const one = await call(relay.admin!.url, 'GET', '/admin/api/requests/1', { headers })
  assert.equal(one.status, 404)
  assert.match((one.json.error as { message: string }).message, /records are off/)
})

test('issue 15: the admin listener serves the UI at / with a Content-Security-Policy that allows nothing from elsewhere and no inline script', async (t) => {
  const mock = await startMock(t)
  const relay = await startRelay(t, { admin: { port: 0, password: ADMIN }, routes: [{ path: '/', upstreams: [{ name: 'main', url: mock.url }] }] })
  const page = await call(relay.admin!.url, 'GET', '/')
  assert.equal(page.status, 200)
  assert.match(String(page.headers['content-type']), /text\/(html|plain)/)
  const csp = String(page.headers['content-security-policy'])
  assert.match(csp, /default-src 'self'/)
  assert.match(csp, /frame-ancestors 'none'/)
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
  assert.equal(page.headers['x-frame-options'], 'DENY')
  if (String(page.headers['content-type']).includes('html')) {
    assert.equal(page.headers['cache-control'], 'no-cache', 'index.html is revalidated, so a new build shows at once')
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1]
    assert.ok(script !== undefined)
    const asset = await call(relay.admin!.url, 'GET', script)
    assert.equal(asset.status, 200)
    assert.match(String(asset.headers['cache-control']), /immutable/)
  }
  // The API's answers are never cached.
  const meta = await call(relay.admin!.url, 'GET', '/admin/api/meta', { headers: { authorization: `Bearer ${ADMIN}` } })
  assert.equal(meta.headers['cache-control'], 'no-store')
  assert.ok((meta.json.providers as { name: string }[]).some((provider) => provider.name === 'openai'))
})
