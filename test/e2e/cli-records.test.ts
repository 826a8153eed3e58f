import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import type { RequestRecord } from '../../src/records/record.js'
import { createRecordStore } from '../../src/storage/record-store.js'
import { startCli } from '../helpers/cli.js'

// Issue 5 point 3: `llm-relay convert` and `llm-relay logs` read the records the gateway wrote.
// Records are written straight into the SQLite store the config points to, then the real CLI runs.

// A zone without daylight saving, 8 hours ahead of UTC: datetime and the table show local time.
const env = { TZ: 'Asia/Shanghai' }
const T0 = Date.UTC(2024, 0, 1, 4, 0, 0) // 2024-01-01 12:00:00 in Shanghai
const minute = 60_000

const relayYaml = `routes:
  - path: /v1
    upstreams:
      - url: http://127.0.0.1:9/v1
  - path: /other
    upstreams:
      - url: http://127.0.0.1:9/v1
`

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-records-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function writeRecords(path: string, records: readonly RequestRecord[]): Promise<void> {
  const store = createRecordStore({ backend: 'sqlite', path })
  await store.write(records)
  await store.close()
}

async function runCli(t: TestContext, args: string[], cwd: string) {
  const cli = startCli(t, args, { cwd, entry: 'src', env })
  const { code } = await cli.exit
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}

function base(id: string, time: number): RequestRecord {
  return { id, time, route: '/v1', method: 'POST', path: '/v1/chat/completions', stream: false, attempts: [{ upstream: 'main', status: 200, durationMs: 10 }], status: 200, totalMs: 12, level: 'full' }
}

const weatherTool = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]
const weatherCall = [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]

const records: RequestRecord[] = [
  {
    ...base('r1-text', T0),
    clientId: 'key-a',
    clientIp: '10.0.0.1',
    userAgent: 'OpenAI/Python 1.52.0',
    model: 'gpt-4o-mini',
    upstream: 'main',
    promptTokens: 20,
    completionTokens: 10,
    totalTokens: 30,
    tokensSource: 'upstream',
    cache: 'MISS',
    totalMs: 15.4,
    content: { request: { model: 'gpt-4o-mini', temperature: 0.5, messages: [{ role: 'user', content: 'hi' }] }, response: 'Hello! How can I assist you today?' },
  },
  {
    ...base('r2-tools', T0 + minute),
    clientId: 'key-a',
    clientIp: '10.0.0.2',
    model: 'gpt-4o-mini',
    stream: true,
    upstream: 'main',
    totalTokens: 12,
    tokensSource: 'estimate',
    totalMs: 1234,
    content: { request: { model: 'gpt-4o-mini', stream: true, tools: weatherTool, messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in' }, { type: 'text', text: 'Paris?' }] }] }, response: '', toolCalls: weatherCall },
  },
  { ...base('r3-meta', T0 + 2 * minute), clientId: 'key-a', model: 'gpt-4o-mini', upstream: 'main', level: 'meta' },
  {
    ...base('r4-embeddings', T0 + 3 * minute),
    path: '/v1/embeddings',
    model: 'text-embedding-3-small',
    upstream: 'main',
    content: { request: { model: 'text-embedding-3-small', input: 'x' } },
  },
  {
    ...base('r5-failed', T0 + 4 * minute),
    clientId: 'key-a',
    model: 'gpt-4o-mini',
    status: 502,
    attempts: [{ upstream: 'main', error: 'connect-refused', durationMs: 2 }],
    error: 'upstream main: connect ECONNREFUSED',
    content: { request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } },
  },
  {
    ...base('r6-other', T0 + 5 * minute),
    route: '/other',
    path: '/other/chat/completions',
    clientId: 'key-b',
    model: 'other-model',
    upstream: 'main',
    cache: 'HIT',
    content: { request: { model: 'other-model', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'yo' }] }, response: 'Yo.' },
  },
]

const items = {
  r1: {
    datetime: '2024-01-01 12:00:00',
    ip: '10.0.0.1',
    model: 'gpt-4o-mini',
    temperature: 0.5,
    messages: [{ user: 'hi' }],
    tools: null,
    is_tool_calls: false,
    assistant: 'Hello! How can I assist you today?',
  },
  r2: {
    datetime: '2024-01-01 12:01:00',
    ip: '10.0.0.2',
    model: 'gpt-4o-mini',
    temperature: 1,
    messages: [{ user: 'Weather in\nParis?' }],
    tools: weatherTool,
    is_tool_calls: true,
    assistant: weatherCall,
  },
  r6: {
    datetime: '2024-01-01 12:05:00',
    ip: '',
    model: 'other-model',
    temperature: 1,
    messages: [{ system: 'Be brief.' }, { user: 'yo' }],
    tools: null,
    is_tool_calls: false,
    assistant: 'Yo.',
  },
}

/** A temp dir with relay.yaml and the records in its default store, <dataDir>/records.sqlite. */
async function recordsDir(t: TestContext, written: readonly RequestRecord[] = records): Promise<string> {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'relay.yaml'), relayYaml)
  await writeRecords(join(dir, 'data', 'records.sqlite'), written)
  return dir
}

const ids = (stdout: string): string[] =>
  stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as RequestRecord).id)

test('convert: chat_openai.json by default, oldest first, in the seed shape; --out - writes the same to stdout', async (t) => {
  const dir = await recordsDir(t)
  const [toFile, toStdout] = await Promise.all([runCli(t, ['convert', '--config', 'relay.yaml'], dir), runCli(t, ['convert', '--config', 'relay.yaml', '--out', '-'], dir)])
  assert.equal(toFile.code, 0, toFile.stderr)
  assert.equal(toFile.stdout, '')
  const text = readFileSync(join(dir, 'chat_openai.json'), 'utf8')
  const exported = JSON.parse(text) as Record<string, unknown>[]
  // Only answered chat completions with content: not the meta record, the embeddings or the failed one.
  assert.deepEqual(exported, [items.r1, items.r2, items.r6])
  for (const item of exported) assert.deepEqual(Object.keys(item), ['datetime', 'ip', 'model', 'temperature', 'messages', 'tools', 'is_tool_calls', 'assistant'])
  // Pretty-printed with an indent of 2, as aifd convert writes it.
  assert.ok(text.startsWith('[\n  {\n    "datetime": "2024-01-01 12:00:00",\n    "ip": "10.0.0.1",'), text.slice(0, 80))
  assert.match(toFile.stderr, /convert: 3 chat exchanges written to .*chat_openai\.json; left out (1 not chat\/completions, 1 failed|1 failed, 1 not chat\/completions)\n$/)

  assert.equal(toStdout.code, 0, toStdout.stderr)
  assert.equal(toStdout.stdout, text)
  assert.match(toStdout.stderr, /written to stdout/)
})

test('convert --out FILE, --route and --since (local time, an offset, or a duration)', async (t) => {
  const dir = await recordsDir(t)
  const convert = (out: string, ...args: string[]) => runCli(t, ['convert', '--config', 'relay.yaml', '--out', out, ...args], dir)
  const results = await Promise.all([
    convert('other.json', '--route', '/other'),
    // A route spelt without its slash, or with a trailing one, is the same route.
    convert('v1.json', '--route', 'v1/'),
    convert('local.json', '--since', '2024-01-01 12:01:00'),
    convert('utc.json', '--since', '2024-01-01T04:04:30Z'),
    convert('recent.json', '--since', '2d'),
  ])
  for (const result of results) assert.equal(result.code, 0, result.stderr)
  const read = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'))
  assert.deepEqual(read('other.json'), [items.r6])
  assert.deepEqual(read('v1.json'), [items.r1, items.r2])
  assert.deepEqual(read('local.json'), [items.r2, items.r6])
  assert.deepEqual(read('utc.json'), [items.r6])
  // Every record is from 2024: nothing in the last two days.
  assert.deepEqual(read('recent.json'), [])
  assert.ok(!existsSync(join(dir, 'chat_openai.json')), '--out replaces the default file')

  const bad = await runCli(t, ['convert', '--config', 'relay.yaml', '--since', 'yesterday'], dir)
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /--since: expected a time .* \(got "yesterday"\)/)
})

test('logs: an aligned table in local time, newest last, with status, path, model, upstream, ms, tokens, cache, client and error', async (t) => {
  const dir = await recordsDir(t)
  const { code, stdout, stderr } = await runCli(t, ['logs', '--config', 'relay.yaml'], dir)
  assert.equal(code, 0, stderr)
  const [header, ...rows] = stdout.trimEnd().split('\n')
  assert.match(header!, /^TIME\s+STATUS\s+METHOD\s+PATH\s+MODEL\s+UPSTREAM\s+MS\s+TOKENS\s+CACHE\s+CLIENT\s+ERROR$/)
  assert.equal(rows.length, records.length)
  const start = (title: string) => header!.indexOf(title)
  const end = (title: string) => header!.indexOf(title) + title.length
  // Left-aligned columns start where their title starts; numbers end where their title ends.
  const cell = (row: string, title: string, value: string, right = false) => {
    const at = right ? end(title) - value.length : start(title)
    assert.equal(row.slice(at, at + value.length), value, `${title} of ${JSON.stringify(row)}`)
    assert.ok(at === 0 || row[at - 1] === ' ', `${title} is a column of its own in ${JSON.stringify(row)}`)
  }
  // Oldest first, newest last.
  cell(rows[0]!, 'TIME', '2024-01-01 12:00:00')
  cell(rows[5]!, 'TIME', '2024-01-01 12:05:00')
  cell(rows[0]!, 'STATUS', '200', true)
  cell(rows[0]!, 'METHOD', 'POST')
  cell(rows[0]!, 'PATH', '/v1/chat/completions')
  cell(rows[0]!, 'MODEL', 'gpt-4o-mini')
  cell(rows[0]!, 'UPSTREAM', 'main')
  cell(rows[0]!, 'MS', '15', true)
  cell(rows[0]!, 'TOKENS', '30', true)
  cell(rows[0]!, 'CACHE', 'MISS')
  cell(rows[0]!, 'CLIENT', 'key-a')
  // An estimate is marked.
  cell(rows[1]!, 'TOKENS', '~12', true)
  cell(rows[1]!, 'MS', '1234', true)
  cell(rows[3]!, 'PATH', '/v1/embeddings')
  cell(rows[3]!, 'MODEL', 'text-embedding-3-small')
  cell(rows[4]!, 'STATUS', '502', true)
  cell(rows[4]!, 'UPSTREAM', '-')
  cell(rows[4]!, 'ERROR', 'upstream main: connect ECONNREFUSED')
  cell(rows[5]!, 'PATH', '/other/chat/completions')
  cell(rows[5]!, 'CACHE', 'HIT')
  cell(rows[5]!, 'CLIENT', 'key-b')
})

test('logs --json: one stored record per line; --status, --model, --route, --client, --since and --limit narrow it', async (t) => {
  const dir = await recordsDir(t)
  const logs = (...args: string[]) => runCli(t, ['logs', '--config', 'relay.yaml', '--json', ...args], dir)
  const [all, errors, ok, model, route, client, since, limit, combined] = await Promise.all([
    logs(),
    logs('--status', 'error'),
    logs('--status', '200'),
    logs('--model', 'other-model'),
    logs('--route', '/other'),
    logs('--client', 'key-a'),
    logs('--since', '2024-01-01 12:03:00'),
    logs('--limit', '2'),
    logs('--client', 'key-a', '--status', '200', '--limit', '1'),
  ])
  assert.equal(all.code, 0, all.stderr)
  assert.deepEqual(
    all.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown),
    records,
  )
  assert.deepEqual(ids(errors.stdout), ['r5-failed'])
  assert.deepEqual(ids(ok.stdout), ['r1-text', 'r2-tools', 'r3-meta', 'r4-embeddings', 'r6-other'])
  assert.deepEqual(ids(model.stdout), ['r6-other'])
  assert.deepEqual(ids(route.stdout), ['r6-other'])
  assert.deepEqual(ids(client.stdout), ['r1-text', 'r2-tools', 'r3-meta', 'r5-failed'])
  assert.deepEqual(ids(since.stdout), ['r4-embeddings', 'r5-failed', 'r6-other'])
  // The newest N, still newest last.
  assert.deepEqual(ids(limit.stdout), ['r5-failed', 'r6-other'])
  assert.deepEqual(ids(combined.stdout), ['r3-meta'])

  const [badStatus, badLimit] = await Promise.all([logs('--status', 'oops'), logs('--limit', '0')])
  assert.equal(badStatus.code, 1)
  assert.match(badStatus.stderr, /--status: expected an HTTP status .*\(got "oops"\)/)
  assert.equal(badLimit.code, 1)
  assert.match(badLimit.stderr, /--limit: expected a positive whole number \(got "0"\)/)
})

test('logs --since 1h: a duration counts back from now', async (t) => {
  const now = Date.now()
  const dir = await recordsDir(t, [{ ...base('three-hours-ago', now - 180 * minute) }, { ...base('ten-minutes-ago', now - 10 * minute) }])
  const { code, stdout, stderr } = await runCli(t, ['logs', '--config', 'relay.yaml', '--json', '--since', '1h'], dir)
  assert.equal(code, 0, stderr)
  assert.deepEqual(ids(stdout), ['ten-minutes-ago'])
})

test('logs --follow: prints records written after it started, each once, also one of an already shown ms and a late long request; stops on SIGINT', async (t) => {
  const now = Date.now()
  const shown = { ...base('shown', now - 1000) }
  const dir = await recordsDir(t, [{ ...base('older', now - 10 * minute) }, shown])
  const cli = startCli(t, ['logs', '--config', 'relay.yaml', '--json', '--follow'], { cwd: dir, entry: 'src', env })
  await cli.waitFor(/"id":"shown"/)

  const store = createRecordStore({ backend: 'sqlite', path: join(dir, 'data', 'records.sqlite') })
  t.after(() => store.close())
  await store.write([{ ...base('new', Date.now()) }])
  await cli.waitFor(/"id":"new"/)
  // Written in a later batch: a record of the same ms as one already shown, and a stream that
  // arrived two minutes ago and only just ended.
  await store.write([{ ...base('same-ms', shown.time) }, { ...base('late-stream', Date.now() - 2 * minute), stream: true, totalMs: 2 * minute }])
  await cli.waitFor(/"id":"same-ms"[\s\S]*\n.*"id":"late-stream"|"id":"late-stream"[\s\S]*\n.*"id":"same-ms"/)
  // Two more polls: nothing is printed twice.
  await new Promise((resolve) => setTimeout(resolve, 2200))
  const printed = ids(cli.stdout())
  assert.deepEqual(printed.slice(0, 3), ['older', 'shown', 'new'])
  assert.deepEqual(printed.slice(3).sort(), ['late-stream', 'same-ms'])
  assert.equal(printed.length, 5, cli.stdout())

  cli.child.kill('SIGINT')
  const exit = await cli.exit
  assert.equal(exit.code, 0, cli.stderr())
  assert.equal(cli.stderr(), '')
})

test('records off (backend none): convert and logs exit 1 saying so, and write nothing', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'relay.yaml'), `${relayYaml}records:\n  backend: none\n`)
  const [convert, logs] = await Promise.all([runCli(t, ['convert', '--config', 'relay.yaml'], dir), runCli(t, ['logs', '--config', 'relay.yaml', '--follow'], dir)])
  for (const result of [convert, logs]) {
    assert.equal(result.code, 1)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /records are off \(records\.backend: none in .*relay\.yaml\)/)
  }
  assert.ok(!existsSync(join(dir, 'chat_openai.json')))
  assert.ok(!existsSync(join(dir, 'data')))
})

test('the store the config names: records.url, or --data-dir as the gateway ran with', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'relay.yaml'), `${relayYaml}records:\n  url: elsewhere/requests.sqlite\n`)
  writeFileSync(join(dir, 'default.yaml'), relayYaml)
  await writeRecords(join(dir, 'elsewhere', 'requests.sqlite'), [base('by-url', T0)])
  await writeRecords(join(dir, 'var', 'records.sqlite'), [base('by-data-dir', T0)])
  const [byUrl, byDataDir] = await Promise.all([
    runCli(t, ['logs', '--config', 'relay.yaml', '--json'], dir),
    runCli(t, ['logs', '--config', 'default.yaml', '--data-dir', 'var', '--json'], dir),
  ])
  assert.equal(byUrl.code, 0, byUrl.stderr)
  assert.deepEqual(ids(byUrl.stdout), ['by-url'])
  assert.equal(byDataDir.code, 0, byDataDir.stderr)
  assert.deepEqual(ids(byDataDir.stdout), ['by-data-dir'])
})

test('--help lists convert and logs with their flags', async (t) => {
  const dir = tempDir(t)
  const [help, convert, logs] = await Promise.all([runCli(t, ['--help'], dir), runCli(t, ['convert', '--help'], dir), runCli(t, ['logs', '--help'], dir)])
  for (const command of ['convert', 'logs']) assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'))
  for (const flag of ['--config', '--out', '--route', '--since']) assert.ok(convert.stdout.includes(flag), `convert --help names ${flag}`)
  assert.match(convert.stdout, /default:\s+"chat_openai\.json"/)
  for (const flag of ['--config', '--since', '--status', '--model', '--route', '--client', '--limit', '--json', '--follow']) assert.ok(logs.stdout.includes(flag), `logs --help names ${flag}`)
})
