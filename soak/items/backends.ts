import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { request } from 'undici'
import { runLoad } from '../../bench/load.js'
import { chatPath, freePort, plainBody, Resources, startGateway, startMock, waitFor, type SoakGateway } from '../harness.js'
import type { SoakItem } from '../types.js'

/**
 * Issue 18 point 3, the backend half: the limits' Redis stopped and restarted under load. Meanwhile
 * requests follow `limits.onBackendError` (fail-open here: served, none refused, none hung); after the
 * restart the gateway reconnects by itself within seconds and counts exactly again.
 */
export const backends: SoakItem = {
  name: 'backends',
  async run(scale, log, resources) {
    if (spawnSync('redis-server', ['--version']).error !== undefined) {
      return [{ item: 'Redis stopped and restarted under load', figure: 'skipped', bound: 'redis-server installed', ok: process.env.LLM_RELAY_REQUIRE_SERVICES !== '1', detail: 'redis-server is not installed' }]
    }
    const phaseMs = scale === 'full' ? 20_000 : 2000
    const port = await freePort()
    let redis = await startRedis(resources, port)
    const mock = await startMock(resources, { record: false })
    const gateway = await startGateway(resources, {
      limits: { backend: `redis://127.0.0.1:${port}`, requests: [{ route: '/load', limit: '1000000000/hour' }, { route: '/exact', limit: '10/hour', per: 'route' }] },
      routes: [
        { path: '/load', upstreams: [{ url: mock.url }] },
        { path: '/exact', upstreams: [{ url: mock.url }] },
      ],
    })
    const load = (ms: number) => runLoad({ url: gateway.url, path: `/load${chatPath}`, body: plainBody, concurrency: 16, maxRequests: Infinity, maxMs: ms })
    const before = await load(phaseMs)
    redis.kill('SIGKILL')
    await new Promise((resolve) => redis.once('exit', resolve))
    const down = await load(phaseMs)
    const restartedAt = Date.now()
    redis = await startRedis(resources, port)
    // Counted again once an answer carries the limit's headers (a fail-open admission has none).
    const recovered = await waitFor(async () => {
      const answer = await request(`${gateway.url}/load${chatPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: plainBody })
      await answer.body.dump()
      return answer.headers['x-ratelimit-remaining-requests'] !== undefined
    }, 30_000)
    const recoveryMs = Date.now() - restartedAt
    const after = await load(phaseMs)
    const exact = await burst(gateway, 30)
    log(`backends: ${before.requests} / ${down.requests} / ${after.requests} served before / while Redis was down / after; refused or failed ${down.errors}; reconnected in ${recoveryMs} ms; ${exact} of 30 admitted on a 10/hour rule`)
    const unavailable = gateway.output().split('\n').filter((line) => line.includes('rate-limit backend unavailable')).length
    return [
      {
        item: `Redis killed under load (c=16, ${phaseMs / 1000} s)`,
        figure: `${down.requests.toLocaleString('en')} served, ${down.errors} refused or failed`,
        bound: 'fail-open: all served, none hung',
        ok: down.requests > 0 && down.errors === 0,
        detail: `logged once: ${unavailable === 1}`,
      },
      { item: 'Redis restarted: the gateway reconnects', figure: recovered ? `in ${recoveryMs} ms` : 'not within 30 s', bound: 'within seconds (< 10 s)', ok: recovered && recoveryMs < 10_000 },
      { item: 'limits after the restart', figure: `${exact} of 30 admitted on 10/hour`, bound: 'exactly 10', ok: exact === 10 && after.errors === 0 },
    ]
  },
}

/** 30 requests at once on the 10/hour rule (a fresh counter: Redis kept nothing): how many were admitted. */
async function burst(gateway: SoakGateway, count: number): Promise<number> {
  const statuses = await Promise.all(
    Array.from({ length: count }, async () => {
      const answer = await request(`${gateway.url}/exact${chatPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: plainBody })
      await answer.body.dump()
      return answer.statusCode
    }),
  )
  return statuses.filter((status) => status === 200).length
}

function startRedis(resources: Resources, port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] })
  resources.add(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  child.stdout?.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      output += chunk
      if (output.includes('Ready to accept connections')) resolve(child)
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)))
  })
}
