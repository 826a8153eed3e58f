import { runLoad, type LoadResult } from '../../bench/load.js'
import { chatPath, freePort, metric, plainBody, startGateway, startMock, waitFor } from '../harness.js'
import { postgresInstallation, startPrivatePostgres, type PrivatePostgres } from '../postgres-server.js'
import type { SoakItem } from '../types.js'

/**
 * The record writer's batch (its default): a batch the kill cut off after its commit, before the
 * answer, is stored yet counted as dropped when the retry also finds PostgreSQL down (it cannot ask).
 */
const BATCH_SIZE = 500

/**
 * Issue 18 point 3, the records half: the records' PostgreSQL stopped hard (immediate shutdown, as a
 * crash) and restarted under load. The gateway keeps serving; the record writer queues within
 * `records.maxQueue` and drops past it (and a batch that failed twice), counting every drop in
 * llm_relay_records_dropped; after the restart it writes again by itself, and a batch whose commit
 * the kill cut off is not written twice. So every request answered is in PostgreSQL once or counted.
 */
export const postgres: SoakItem = {
  name: 'postgres',
  async run(scale, log, resources) {
    const installation = postgresInstallation()
    if (typeof installation === 'string') {
      return [{ item: 'PostgreSQL stopped and restarted under load', figure: 'skipped', bound: 'PostgreSQL installed', ok: process.env.LLM_RELAY_REQUIRE_SERVICES !== '1', detail: installation }]
    }
    const [loadMs, downMs] = scale === 'full' ? [10_000, 15_000] : [1500, 2500]
    // The short form's queue is smaller, so that its outage too fills the queue and drops past the bound.
    const maxQueue = scale === 'full' ? 10_000 : 1000
    const database = await startPrivatePostgres(resources, installation, await freePort())
    const mock = await startMock(resources, { record: false })
    const gateway = await startGateway(resources, {
      records: { backend: 'postgres', url: database.url, maxQueue },
      routes: [{ path: '/', upstreams: [{ url: mock.url }] }],
    })
    const load = (ms: number) => runLoad({ url: gateway.url, path: chatPath, body: plainBody, concurrency: 16, maxRequests: Infinity, maxMs: ms })
    /** Load in short slices until `done` (the next slice starts as one ends). */
    const loadUntil = async (done: () => boolean) => {
      const slices: LoadResult[] = []
      while (!done()) slices.push(await load(200))
      return total(slices)
    }

    const before = await load(loadMs)
    // Records are being written (the table exists) before the kill.
    await waitFor(async () => (await rows(database).catch(() => 0)) > 0, 10_000)
    await database.kill()
    const down = await load(downMs)
    // The load goes on while PostgreSQL starts again (crash recovery), then until the writer finds it back.
    let started = false
    const starting = database.start().finally(() => (started = true))
    const restarting = await loadUntil(() => started)
    await starting
    const restartedAt = Date.now()
    const rowsAtRestart = await rows(database)
    let rewritten: boolean | undefined
    let rewrittenMs = 0
    const watching = waitFor(async () => (await rows(database)) > rowsAtRestart, 30_000).then((ok) => {
      rewrittenMs = Date.now() - restartedAt
      rewritten = ok
    })
    const recovering = await loadUntil(() => rewritten !== undefined)
    await watching
    const after = await load(loadMs)
    const loads = [before, down, total([restarting, recovering]), after]

    // Everything answered is in PostgreSQL or counted as dropped once the writer has caught up.
    const answered = loads.reduce((sum, result) => sum + answers(result), 0)
    await waitFor(async () => (await rows(database)) + (await metric(gateway, 'llm_relay_records_dropped')) >= answered, 30_000)
    const dropped = await metric(gateway, 'llm_relay_records_dropped')
    await gateway.stop()
    const [count] = await database.query<{ all: string; ids: string }>('SELECT count(*) AS all, count(DISTINCT id) AS ids FROM request_records')
    const stored = Number(count?.all)
    const duplicates = stored - Number(count?.ids)
    const lost = answered - stored
    const failed = loads.reduce((sum, result) => sum + result.errors, 0)
    const warned = gateway.output().split('\n').filter((line) => line.includes('request records cannot be written right now')).length
    log(
      `postgres: ${loads.map((result) => result.requests).join(' / ')} served before / while PostgreSQL was down / while it restarted / after; failed ${loads.map((result) => result.errors).join(' / ')}; ` +
        `written again ${rewrittenMs} ms after the restart; ${stored} stored + ${dropped} dropped of ${answered} answered; ${duplicates} duplicates; warned ${warned} times`,
    )
    return [
      {
        item: `records' PostgreSQL killed under load (c=16, ${downMs / 1000} s)`,
        figure: `${down.requests.toLocaleString('en')} served, ${down.errors} failed`,
        bound: 'the gateway keeps serving: all served',
        ok: down.requests > 0 && failed === 0 && gateway.child.exitCode === 0,
        detail: `${failed} failed in all; exit code ${gateway.child.exitCode}; warned ${warned} time(s)`,
      },
      {
        item: 'records after the outage',
        figure: `${lost.toLocaleString('en')} lost, ${dropped.toLocaleString('en')} counted dropped`,
        bound: `every loss counted: lost <= dropped <= lost + one batch (${BATCH_SIZE})`,
        ok: lost >= 0 && lost <= dropped && dropped - lost <= BATCH_SIZE,
        detail: `${stored.toLocaleString('en')} stored of ${answered.toLocaleString('en')} answered; queue bound records.maxQueue ${maxQueue.toLocaleString('en')}`,
      },
      {
        item: 'records written twice (a batch retried across the kill)',
        figure: `${duplicates} duplicates`,
        bound: 'none',
        ok: duplicates === 0,
        detail: `count(*) ${stored.toLocaleString('en')}, count(DISTINCT id) ${Number(count?.ids).toLocaleString('en')}`,
      },
      {
        item: 'PostgreSQL restarted: records written again',
        figure: rewritten === true ? `in ${rewrittenMs.toLocaleString('en')} ms` : 'not within 30 s',
        bound: 'within seconds (< 5 s)',
        ok: rewritten === true && rewrittenMs < 5000,
        detail: `${loads[2]!.requests.toLocaleString('en')} served meanwhile, ${after.requests.toLocaleString('en')} after`,
      },
    ]
  },
}

async function rows(database: PrivatePostgres): Promise<number> {
  const [row] = await database.query<{ n: string }>('SELECT count(*) AS n FROM request_records')
  return Number(row?.n)
}

/** Requests the gateway answered (and so recorded): 200s and any other status. */
function answers(result: LoadResult): number {
  return result.requests + Object.values(result.statuses).reduce((sum, count) => sum + count, 0)
}

/** Slices of load as one result (the counts summed). */
function total(results: readonly LoadResult[]): LoadResult {
  const statuses: Record<number, number> = {}
  for (const result of results) for (const [status, count] of Object.entries(result.statuses)) statuses[Number(status)] = (statuses[Number(status)] ?? 0) + count
  return {
    requests: results.reduce((sum, result) => sum + result.requests, 0),
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    seconds: results.reduce((sum, result) => sum + result.seconds, 0),
    latencies: results.flatMap((result) => result.latencies),
    firstByte: results.flatMap((result) => result.firstByte),
    statuses,
  }
}
