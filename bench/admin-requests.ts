/**
 * `npm run bench -- --admin-requests-only`: the admin API's request list on a big SQLite records
 * table (issue 15 point 4: the first page of a filtered query under 300 ms on 1,000,000 records).
 * Writes the records through the SQLite store (as the gateway would, in batches), starts a gateway on
 * that file with the admin API on, and times the first page of each filter over HTTP, several times.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { stringify } from 'yaml'
import type { RequestRecord } from '../src/records/record.js'
import { SqliteRecordStore } from '../src/storage/sqlite/record-store.js'
import { percentile } from './load.js'
import { freePort, startService, type Service } from './processes.js'

const DAY = 86_400_000
const routes = ['/', '/claude', '/azure']
const models = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5', 'gemini-2.5-pro', 'o3-rare']
const upstreams = ['openai', 'anthropic', 'azure-east']

/** A deterministic pseudo-random sequence (mulberry32): the same table on every run. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state |= 0
    state = (state + 0x6d2b79f5) | 0
    let value = Math.imul(state ^ (state >>> 15), 1 | state)
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** `count` records over the last 7 days: most 200, a few 429 and 5xx; one model and one client rare. */
function* recordsOf(count: number, now: number): Generator<RequestRecord[]> {
  const next = random(15)
  const batch: RequestRecord[] = []
  for (let index = 0; index < count; index++) {
    const roll = next()
    const status = roll < 0.95 ? 200 : roll < 0.98 ? 429 : 502
    const model = next() < 0.0005 ? models[4]! : models[Math.floor(next() * 4)]!
    // Five requests of one client in a million: a needle found by reading the index, not the rows.
    const client = index % Math.floor(count / 5) === 7 ? 'client-token:needle' : next() < 0.0002 ? 'client-token:rare' : `client-token:${Math.floor(next() * 1000)}`
    batch.push({
      id: `req-${index.toString(36)}`,
      time: Math.round(now - 7 * DAY + (index / count) * 7 * DAY),
      route: routes[Math.floor(next() * routes.length)]!,
      method: 'POST',
      path: '/v1/chat/completions',
      clientId: client,
      clientIp: '10.0.0.1',
      model,
      stream: next() < 0.3,
      upstream: upstreams[Math.floor(next() * upstreams.length)]!,
      provider: 'openai',
      attempts: [{ upstream: 'openai', status, durationMs: 120 }],
      status,
      headersMs: 120,
      firstByteMs: 130,
      totalMs: 450,
      promptTokens: 40,
      completionTokens: 120,
      totalTokens: 160,
      tokensSource: 'upstream',
      ...(next() < 0.2 && { cache: next() < 0.5 ? 'HIT' : 'MISS' }),
      level: 'meta',
    })
    if (batch.length === 5000) {
      yield batch.splice(0)
    }
  }
  if (batch.length > 0) yield batch
}

export interface AdminRequestsReport {
  records: number
  /** What writing them cost, in batches of 5,000 as the records writer sends them: us a record. */
  writeUsPerRecord: number
  /** Per filter: the p50 and the slowest of its runs, in ms, and the rows the first page held. */
  filters: { name: string; query: string; p50Ms: number; maxMs: number; rows: number }[]
}

export async function measureAdminRequests(count: number, runs = 7): Promise<AdminRequestsReport> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-admin-bench-'))
  let gateway: Service | undefined
  try {
    const file = join(dir, 'records.sqlite')
    const now = Date.now()
    const store = new SqliteRecordStore({ path: file })
    let writing = 0
    for (const batch of recordsOf(count, now)) {
      const started = performance.now()
      await store.write(batch)
      writing += performance.now() - started
    }
    await store.close()
    const port = await freePort()
    const adminPort = await freePort()
    const config = join(dir, 'relay.yaml')
    writeFileSync(config, stringify({ log: { level: 'warn' }, admin: { port: adminPort, password: 'bench-admin-password' }, records: { url: file }, routes: [{ path: '/', upstreams: [{ url: 'http://127.0.0.1:9' }] }] }))
    gateway = await startService(['run', '--config', config, '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir], '/healthz', port)
    const filters: [string, string][] = [
      ['newest, no filter', ''],
      ['status 5xx', 'status=5xx'],
      ['one model', 'model=gpt-4o'],
      ['a rare model (0.05%)', 'model=o3-rare'],
      ['a rare client (0.02%)', 'client=client-token:rare'],
      ['a client of 5 requests', 'client=client-token:needle'],
      ['one request id', `id=req-${(count - 12_345).toString(36)}`],
      ['route and status class', 'route=/claude&status=4xx'],
      ['cache HIT', 'cache=HIT'],
      ['an id prefix', 'id=req-1a'],
      ['the last hour', `since=${now - 3_600_000}`],
      ['a day a week ago, one upstream', `since=${now - 7 * DAY}&until=${now - 6 * DAY}&upstream=azure-east`],
    ]
    const report: AdminRequestsReport = { records: count, writeUsPerRecord: (writing * 1000) / count, filters: [] }
    for (const [name, query] of filters) {
      const times: number[] = []
      let rows = 0
      for (let run = 0; run < runs; run++) {
        const started = performance.now()
        const answer = await request(`http://127.0.0.1:${adminPort}/admin/api/requests?limit=50${query === '' ? '' : `&${query}`}`, { headers: { authorization: 'Bearer bench-admin-password' } })
        const body = (await answer.body.json()) as { records: unknown[] }
        times.push(performance.now() - started)
        if (answer.statusCode !== 200) throw new Error(`${name}: ${answer.statusCode} ${JSON.stringify(body)}`)
        rows = body.records.length
      }
      report.filters.push({ name, query, p50Ms: percentile(times, 50), maxMs: Math.max(...times), rows })
    }
    return report
  } finally {
    await gateway?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
