/**
 * Issue 4's part of `npm run bench`: answers served from the cache against the upstream answering
 * itself. Latency at c=1: a hit against a direct call to the mock answering in 50 ms (target: the
 * hit at least 3x faster). Throughput at c=64: hits against the same gateway build forwarding to
 * the instant mock (target: at least as many requests per second). /metrics of the caching gateway
 * is read before and after to show every measured request really was a hit.
 */
import type { LoadResult } from './load.js'
import { percentile } from './load.js'
import type { Service } from './processes.js'

/** What the 50 ms upstream is asked: the mock holds its headers 50 ms (body field `mock`). */
export const slowBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }], mock: { headersDelayMs: 50 } })

export interface CacheReport {
  /** c=1, p50 ms: straight to the mock answering in 50 ms, and the same request as a cache hit. */
  directSlowP50: number
  hitP50: number
  hitP99: number
  /** directSlowP50 / hitP50; target >= 3. */
  speedup: number
  /** c=64 requests/s: cache hits, and the gateway forwarding to the instant mock (same rounds). */
  hitRps: number
  forwardRps: number
  /** hitRps / forwardRps; target >= 1. */
  hitToForward: number
  /** Hits counted by the caching gateway's /metrics over the measured requests, and requests sent. */
  hitsCounted: number
  hitRequests: number
  errors: number
}

type Load = (url: string, body: string, concurrency: number, maxRequests: number, maxMs: number) => Promise<LoadResult>

export async function measureCache(load: Load, mock: Service, caching: Service, forwarding: Service, scale: number): Promise<CacheReport> {
  // Fill the entry, then warm the hit path.
  await load(caching.url, slowBody, 1, 1, 10_000)
  await sleep(100)
  await load(caching.url, slowBody, 64, Infinity, 3000 * scale)
  const hitsBefore = await hitCount(caching.url)

  // c=1, alternating blocks: 50 ms upstream straight, and hits.
  const direct: number[] = []
  const hits: number[] = []
  let hitRequests = 0
  let errors = 0
  for (let block = 0; block < 4; block++) {
    const slow = await load(mock.url, slowBody, 1, Math.max(5, Math.round(20 * scale)), 10_000)
    direct.push(...slow.latencies)
    const hit = await load(caching.url, slowBody, 1, Math.round(400 * scale), 10_000)
    hits.push(...hit.latencies)
    hitRequests += hit.requests
    errors += slow.errors + hit.errors
  }

  // c=64, rotating rounds: hits, and forwarding to the instant mock.
  let hitTotal = { requests: 0, seconds: 0 }
  let forwardTotal = { requests: 0, seconds: 0 }
  const instantBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] })
  for (let round = 0; round < 3; round++) {
    const order = round % 2 === 0 ? (['hit', 'forward'] as const) : (['forward', 'hit'] as const)
    for (const side of order) {
      const run = side === 'hit' ? await load(caching.url, slowBody, 64, Infinity, 3000 * scale) : await load(forwarding.url, instantBody, 64, Infinity, 3000 * scale)
      errors += run.errors
      if (side === 'hit') {
        hitTotal = { requests: hitTotal.requests + run.requests, seconds: hitTotal.seconds + run.seconds }
        hitRequests += run.requests
      } else {
        forwardTotal = { requests: forwardTotal.requests + run.requests, seconds: forwardTotal.seconds + run.seconds }
      }
    }
  }
  const hitsCounted = (await hitCount(caching.url)) - hitsBefore
  const directSlowP50 = percentile(direct, 50)
  const hitP50 = percentile(hits, 50)
  const hitRps = hitTotal.requests / hitTotal.seconds
  const forwardRps = forwardTotal.requests / forwardTotal.seconds
  return {
    directSlowP50,
    hitP50,
    hitP99: percentile(hits, 99),
    speedup: directSlowP50 / hitP50,
    hitRps,
    forwardRps,
    hitToForward: hitRps / forwardRps,
    hitsCounted,
    hitRequests,
    errors,
  }
}

/** llm_relay_cache_requests_total{status="HIT"} of a gateway. */
async function hitCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((entry) => entry.startsWith('llm_relay_cache_requests_total{status="HIT"}'))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
