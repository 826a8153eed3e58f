import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { Agent, request } from 'undici'
import { estimatePromptTokens, loadTokenizer } from '../../src/limits/token-count.js'
import type { MockUpstream } from '../../src/mock-upstream/index.js'
import { startMockUpstream } from '../../src/mock-upstream/index.js'
import { startCli, type Cli } from '../helpers/cli.js'
import { allFinished, metricValue } from '../helpers/metrics.js'
import { freePort } from '../helpers/ports.js'
import { eventually } from '../helpers/relay.js'
import { withinOneWindow } from '../helpers/windows.js'

// Issue 17 point 1: `llm-relay run --workers 2` behaves as one gateway with the embedded defaults
// (memory counters and cache, SQLite records): limits, quotas and single flight exact across workers,
// one record per request, /metrics summed, reloads reach every worker, a killed worker is replaced,
// SIGTERM drains them all.

await loadTokenizer()
const messages = [{ role: 'user', content: 'Say hello to the workers.' }]
const promptEstimate = estimatePromptTokens({ messages })

interface Cluster extends Cli {
  url: string
  dir: string
  /** The JSON log lines so far. */
  logs(): Array<Record<string, unknown>>
  /** Worker indexes that logged a finished request. */
  workersThatServed(): Set<unknown>
}

/** The gateway with two workers in a child process (the CLI from src/ via tsx), ready once its banner is out. */
async function startCluster(t: TestContext | undefined, yaml: (port: number) => string, cleanup: (fn: () => unknown) => void): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-workers-'))
  cleanup(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  writeFileSync(join(dir, 'relay.yaml'), yaml(port))
  const context = t ?? ({ after: cleanup } as unknown as TestContext)
  const cli = startCli(context, ['run', '--config', 'relay.yaml', '--workers', '2'], { cwd: dir, entry: 'src' })
  await cli.waitFor(/keys .*forward keys/, 90_000)
  assert.match(cli.stdout(), /workers {5}2 worker processes and a primary holding the embedded state/)
  const logs = () =>
    cli
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return Object.assign(cli, {
    url: `http://127.0.0.1:${port}`,
    dir,
    logs,
    workersThatServed: () => new Set(logs().filter((line) => line.msg === 'request done').map((line) => line.worker)),
  })
}

/** One request on a connection of its own, so that the cluster's turn-taking spreads them over the workers. */
async function post(url: string, path: string, body: Record<string, unknown>, headers: Record<string, string> = {}, signal?: AbortSignal) {
  const agent = new Agent({ connections: 1 })
  try {
    const answer = await request(`${url}${path}`, { dispatcher: agent, method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini', messages, ...body }), headers: { 'content-type': 'application/json', ...headers }, signal })
    return { status: answer.statusCode, headers: answer.headers, text: await answer.body.text() }
  } finally {
    void agent.close()
  }
}

function recordRows(dir: string): Array<{ id: string; status: number; route: string }> {
  const db = new Database(join(dir, 'data', 'records.sqlite'), { readonly: true })
  try {
    return db.prepare('SELECT id, status, route FROM request_records').all() as Array<{ id: string; status: number; route: string }>
  } finally {
    db.close()
  }
}

describe('two workers with the embedded defaults behave as one gateway', () => {
  let mock: MockUpstream
  let relay: Cluster
  const cleanups: Array<() => unknown> = []
  let sent = 0

  before(async () => {
    mock = await startMockUpstream()
    cleanups.push(() => mock.close())
    relay = await startCluster(
      undefined,
      (port) => `server: { host: 127.0.0.1, port: ${port} }
log: { level: debug }
limits:
  requests:
    - { route: /limited, limit: 10/minute, per: global }
  tokens:
    - { route: /quota, limit: 1000/hour, per: global }
routes:
  - { path: /limited, upstreams: [{ url: '${mock.url}/v1' }] }
  - { path: /quota, upstreams: [{ url: '${mock.url}/v1' }] }
  - { path: /cached, cache: always, upstreams: [{ url: '${mock.url}/v1' }] }
`,
      (fn) => cleanups.push(fn),
    )
  })
  after(async () => {
    for (const fn of cleanups.reverse()) await fn()
  })

  it('50 concurrent requests on a 10/minute rule: exactly 10 admitted, by both workers', async () => {
    mock.reset()
    // The 50 go out within one minute of the clock (the rule's window), however long the start took.
    await withinOneWindow(60_000, 15_000)
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(relay.url, '/limited/chat/completions', {})))
    sent += 50
    const statuses = answers.map((answer) => answer.status)
    assert.equal(statuses.filter((status) => status === 200).length, 10, statuses.join(' '))
    assert.equal(statuses.filter((status) => status === 429).length, 40, statuses.join(' '))
    assert.equal(mock.requests.length, 10)
    await eventually(() => relay.workersThatServed().size === 2, 10_000).catch(() => assert.fail(`requests were served by ${[...relay.workersThatServed()].join(', ')} only`))
  })

  it('50 concurrent requests of 100 tokens on a 1,000-token quota: exactly 10 reach the upstream', async () => {
    mock.reset()
    await withinOneWindow(3_600_000, 60_000)
    // The admitted ones hang at the upstream until they are aborted: nothing is settled while the 50 are decided.
    const leave = new AbortController()
    const statuses: number[] = []
    const body = { max_tokens: 100 - promptEstimate, mock: { fault: 'hang' } }
    const pending = Array.from({ length: 50 }, () =>
      post(relay.url, '/quota/chat/completions', body, {}, leave.signal).then(
        (answer) => statuses.push(answer.status),
        () => undefined,
      ),
    )
    sent += 50
    await eventually(() => statuses.length === 40 && mock.requests.length === 10, 30_000)
    assert.ok(statuses.every((status) => status === 429), statuses.join(' '))
    assert.equal(mock.requests.length, 10)
    leave.abort()
    await Promise.all(pending)
    await eventually(() => mock.aborted() === 10, 10_000)
  })

  it('single flight across workers: 10 concurrent identical requests make one upstream call', async () => {
    mock.reset()
    const before = relay.workersThatServed()
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(relay.url, '/cached/chat/completions', { mock: { headersDelayMs: 300 } })))
    sent += 10
    assert.equal(mock.requests.length, 1)
    assert.deepEqual(answers.map((answer) => answer.status), Array(10).fill(200))
    assert.equal(answers.filter((answer) => answer.headers['x-relay-cache'] === 'MISS').length, 1)
    assert.equal(new Set(answers.map((answer) => JSON.parse(answer.text).id)).size, 1, 'every answer is the one the upstream gave')
    assert.equal(before.size, 2)
  })

  it('/metrics sums the workers: requests_total equals the requests sent, in flight 0', async () => {
    await allFinished(relay.url)
    const text = await (await request(`${relay.url}/metrics`)).body.text()
    const total = text
      .split('\n')
      .filter((line) => line.startsWith('llm_relay_requests_total{'))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
    assert.equal(total, sent)
    assert.equal(await metricValue(relay.url, 'llm_relay_rate_limited_total', { kind: 'requests' }), 40)
    assert.equal(await metricValue(relay.url, 'llm_relay_rate_limited_total', { kind: 'tokens' }), 40)
  })

  it('SIGTERM: every worker drains, exit 0, and there is one record per request', async () => {
    relay.kill('SIGTERM')
    const exit = await relay.exit
    assert.equal(exit.code, 0, relay.output())
    const rows = recordRows(relay.dir)
    assert.equal(rows.length, sent)
    assert.equal(new Set(rows.map((row) => row.id)).size, sent, 'each record once')
    assert.equal(rows.filter((row) => row.route === '/limited' && row.status === 200).length, 10)
  })
})

describe('two workers: reloads, a killed worker, draining streams', { concurrency: false }, () => {
  it('a reload reaches every worker; a broken config is refused by all', async (t) => {
    const first = await startMockUpstream()
    const second = await startMockUpstream()
    t.after(() => Promise.all([first.close(), second.close()]))
    const adminPort = await freePort()
    const config = (upstream: string) => (port: number) =>
      `server: { host: 127.0.0.1, port: ${port} }\nadmin: { port: ${adminPort}, password: admin-pass-for-workers }\nlog: { level: debug }\nroutes:\n  - { path: /, upstreams: [{ url: '${upstream}' }] }\n`
    let port = 0
    const relay = await startCluster(t, (chosen) => ((port = chosen), config(first.url)(chosen)), (fn) => t.after(fn))
    const file = join(relay.dir, 'relay.yaml')
    writeFileSync(file, config(second.url)(port))
    const reloads = () => relay.logs().filter((line) => line.msg === 'config reloaded')
    await eventually(() => reloads().length === 3, 20_000).catch(() => assert.fail(`reload lines: ${JSON.stringify(reloads())}`))
    assert.deepEqual(new Set(reloads().map((line) => line.worker)), new Set(['primary', 0, 1]))
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(relay.url, '/v1/chat/completions', {})))
    assert.deepEqual(answers.map((answer) => answer.status), Array(20).fill(200))
    assert.equal(second.requests.length, 20, 'every worker sends to the new upstream')
    assert.equal(first.requests.length, 0)
    assert.equal(relay.workersThatServed().size, 2)

    writeFileSync(file, 'routes: [ { path: /, upstreams: [ { url: not a url } ] } ]\n')
    await eventually(() => relay.logs().some((line) => line.msg === 'config reload refused; the running config stays'), 20_000)
    assert.equal(reloads().length, 3, 'no worker applied the broken config')
    const still = await Promise.all(Array.from({ length: 6 }, () => post(relay.url, '/v1/chat/completions', {})))
    assert.deepEqual(still.map((answer) => answer.status), Array(6).fill(200))
    assert.equal(second.requests.length, 26)
    assert.equal(await metricValue(relay.url, 'llm_relay_config_reloads_total', { result: 'refused' }), 1)
    assert.equal(await metricValue(relay.url, 'llm_relay_config_reloads_total', { result: 'applied' }), 1)

    // The admin UI (in worker 0) saves a config: the primary builds it, then every worker takes it before the answer.
    // (The file is first put back as it was loaded: the same bytes as the running config, so no reload.)
    writeFileSync(file, config(second.url)(port))
    const admin = `http://127.0.0.1:${adminPort}`
    const authorization = 'Bearer admin-pass-for-workers'
    const view = await request(`${admin}/admin/api/config`, { headers: { authorization } })
    const { etag } = (await view.body.json()) as { etag: string }
    const saved = await request(`${admin}/admin/api/config`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/json', 'if-match': etag },
      body: JSON.stringify({ source: config(first.url)(port) }),
    })
    assert.deepEqual(await saved.body.json(), { etag: saved.headers.etag, applied: true })
    // Sent as soon as the API answered, on connections of their own (so on both workers): all go to the new upstream.
    const back = await Promise.all(Array.from({ length: 10 }, () => post(relay.url, '/v1/chat/completions', {})))
    assert.deepEqual(back.map((answer) => answer.status), Array(10).fill(200))
    assert.equal(first.requests.length, 10, 'every worker had the saved config when the admin API answered')
    // (Their log lines come through pipes of their own, in their own time.)
    const byAdmin = () => new Set(relay.logs().filter((line) => line.msg === 'config reloaded' && line.reason === 'admin api').map((line) => line.worker))
    await eventually(() => byAdmin().size === 3, 20_000).catch(() => assert.fail(`reloaded by the admin API: ${[...byAdmin()].join(', ')}`))
  })

  it('a killed worker is logged and replaced; streams on the other worker finish; SIGTERM drains streams in flight', async (t) => {
    const mock = await startMockUpstream()
    t.after(() => mock.close())
    const relay = await startCluster(t, (port) => `server: { host: 127.0.0.1, port: ${port} }\nroutes:\n  - { path: /, upstreams: [{ url: '${mock.url}' }] }\n`, (fn) => t.after(fn))
    const serving = () => relay.logs().filter((line) => line.msg === 'worker serving')
    await eventually(() => serving().length === 2, 10_000)
    const [victim] = serving()
    // Eight streams of 30 chunks 20 ms apart: the cluster gives each worker some of them.
    const streams = Array.from({ length: 8 }, () =>
      post(relay.url, '/v1/chat/completions', { stream: true, mock: { chunks: 30, chunkDelayMs: 20 } }).then(
        (answer) => answer.text.endsWith('data: [DONE]\n\n'),
        () => false,
      ),
    )
    await eventually(() => mock.requests.length === 8, 20_000)
    process.kill(victim!.pid as number, 'SIGKILL')
    const finished = await Promise.all(streams)
    assert.ok(finished.filter(Boolean).length >= 1, 'the streams on the surviving worker finished whole')
    await eventually(() => serving().length === 3, 30_000)
    const replaced = relay.logs().find((line) => line.msg?.toString().startsWith('a worker exited unexpectedly'))
    assert.ok(replaced !== undefined, 'the death is logged')
    assert.equal(replaced.pid, victim!.pid)
    assert.notEqual(serving()[2]!.pid, victim!.pid)
    assert.equal(await metricValue(relay.url, 'llm_relay_worker_restarts_total'), 1)
    const after = await Promise.all(Array.from({ length: 6 }, () => post(relay.url, '/v1/chat/completions', {})))
    assert.deepEqual(after.map((answer) => answer.status), Array(6).fill(200))

    mock.reset()
    const draining = Array.from({ length: 4 }, () => post(relay.url, '/v1/chat/completions', { stream: true, mock: { chunks: 20, chunkDelayMs: 25 } }))
    await eventually(() => mock.requests.length === 4, 20_000)
    relay.kill('SIGTERM')
    const drained = await Promise.all(draining)
    assert.ok(
      drained.every((answer) => answer.status === 200 && answer.text.endsWith('data: [DONE]\n\n')),
      'every stream in flight finished',
    )
    assert.equal((await relay.exit).code, 0, relay.output())
  })
})
