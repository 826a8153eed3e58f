/**
 * `npm run bench`: the mock upstream and the gateway each in their own process, the load generator
 * in this one. Every gateway figure is measured in the same run as the same load sent straight to
 * the mock, and reported as a ratio or a difference against it.
 */
import { setMaxListeners } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'
import { stringify } from 'yaml'
import { measureCache } from './cache.js'
import { limiterLogicMicros } from './limiter-logic.js'
import { percentile, runLoad, type LoadResult } from './load.js'
import { hugeLimit, limitsSection, redactedUrl, RedisCpu, redisReachable, redisUrl, remainingRequests } from './limits.js'
import { cpuMicros, freePort, rssMb, startProcess, startService, type Service } from './processes.js'
import { printReport, type BenchReport, type LimitsReport } from './report.js'

const quick = process.argv.includes('--quick')
const scale = quick ? 0.25 : 1
const chatPath = '/v1/chat/completions'
const plainBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] })
const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }], mock: { chunks: 20, chunkDelayMs: 5 } })
const slowStreamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }], mock: { chunks: 40, chunkDelayMs: 500 } })

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-bench-'))
  // Every process started is stopped at the end, also when a later one fails to start.
  const services: Service[] = []
  let redisCpu: RedisCpu | undefined
  try {
    const mockPort = await freePort()
    const mock = await startService(['mock', '--port', String(mockPort)], '/healthz', mockPort)
    services.push(mock)
    const baseConfig = { log: { level: 'warn' }, routes: [{ path: '/', type: 'openai', upstreams: [{ name: 'mock', url: mock.url, keys: ['sk-bench-upstream'] }] }] }
    const startRelay = async (name: string, config: Record<string, unknown>) => {
      const port = await freePort()
      const configFile = join(dir, `${name}.yaml`)
      writeFileSync(configFile, stringify(config))
      const service = await startService(['run', '--config', configFile, '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, `data-${name}`)], '/healthz', port)
      services.push(service)
      return service
    }
    const relay = await startRelay('bench', baseConfig)
    const referencePort = await freePort()
    const referenceScript = fileURLToPath(new URL('./reference-passthrough.ts', import.meta.url))
    const reference = await startProcess(['--import', 'tsx', referenceScript, String(referencePort), mock.url], '/healthz', referencePort)
    services.push(reference)
    // Issue 3: the same gateway with request-rate limits on, counters in memory and in Redis.
    const memoryLimited = await startRelay('limits-memory', { ...baseConfig, limits: limitsSection('memory') })
    let redisLimited: Service | undefined
    let redisSkipped: string | undefined
    const reachable = await redisReachable(redisUrl)
    if (reachable.ok) {
      redisLimited = await startRelay('limits-redis', { ...baseConfig, limits: limitsSection(redisUrl) })
      redisCpu = new RedisCpu(redisUrl)
    } else {
      redisSkipped = `Redis at ${redactedUrl(redisUrl)} not reachable (${reachable.reason})`
      console.log(`limits (issue 3): ${redisSkipped}; the Redis limiter variant is skipped`)
    }
    // Issue 4: the same gateway with the answer cache on (memory backend).
    const caching = await startRelay('cache', { ...baseConfig, routes: baseConfig.routes.map((route) => ({ ...route, cache: 'always' })) })
    // Issue 5: every gateway above keeps records as configured by default (SQLite, level meta); this one keeps none.
    const unrecorded = await startRelay('records-off', { ...baseConfig, records: { backend: 'none' } })
    const report = await measure(mock, relay, reference, { memory: memoryLimited, redis: redisLimited, redisSkipped, redisCpu }, caching, unrecorded)
    report.limitsC64.logicMicros = limiterLogicMicros()
    printReport(report)
    const resultsDir = new URL('./results/', import.meta.url)
    mkdirSync(resultsDir, { recursive: true })
    const json = JSON.stringify(report, null, 2)
    writeFileSync(new URL(`bench-${report.startedAt.replace(/[:.]/g, '-')}.json`, resultsDir), json)
    writeFileSync(new URL('latest.json', resultsDir), json)
  } finally {
    await redisCpu?.close()
    // The gateways first, then the mock they forward to.
    const [mock, ...inFront] = services
    await Promise.all(inFront.map((service) => service.stop()))
    await mock?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Side {
  latencies: number[]
  runs: LoadResult[]
  cpuMicros: number
  streams: LoadResult[]
}

interface Limited {
  memory: Service
  /** Absent when Redis was not reachable (`redisSkipped` says why). */
  redis: Service | undefined
  redisSkipped: string | undefined
  redisCpu: RedisCpu | undefined
}

async function measure(mock: Service, relay: Service, reference: Service, limited: Limited, caching: Service, unrecorded: Service): Promise<BenchReport> {
  const startedAt = new Date().toISOString()
  const load = (url: string, body: string, concurrency: number, maxRequests: number, maxMs: number, timeFirstByte = false) =>
    runLoad({ url, path: chatPath, body, concurrency, maxRequests, maxMs, timeFirstByte })
  const targets = { direct: mock, reference, relay }
  const sides = { direct: emptySide(), reference: emptySide(), relay: emptySide() }
  const names = ['direct', 'reference', 'relay'] as const

  // Warm-up: JIT-compile every side and fill the connection pools before anything is timed.
  // Streaming paths take longer to reach steady state (measured: TTFB through the gateway settles after ~8 s).
  for (const name of names) await load(targets[name].url, plainBody, 64, Infinity, 3000 * scale)
  for (const name of names) await load(targets[name].url, streamBody, 64, Infinity, (name === 'relay' ? 8000 : 3000) * scale, true)
  await sleep(500)
  const rssIdle = rssMb(relay.pid)

  // The limited gateways only take part in the throughput phase, but get the gateway's whole warm-up:
  // measured, a gateway keeps getting faster for over 10 s of load, so a shorter warm-up would be charged to the limiter.
  const limitedNames = limited.redis === undefined ? (['memory'] as const) : (['memory', 'redis'] as const)
  const limitedTargets: Partial<Record<'memory' | 'redis', Service>> = { memory: limited.memory, redis: limited.redis }
  const limitedSides = { memory: emptySide(), redis: emptySide() }
  // They also get the c=1 load the gateway without limits is measured with in phase 1: measured, without
  // it a limited gateway came out ~25% slower at c=64 in every rotation, and at par once warmed alike.
  const unrecordedSide = emptySide()
  for (const service of [...limitedNames.map((name) => limitedTargets[name]!), unrecorded]) {
    await load(service.url, plainBody, 64, Infinity, 3000 * scale)
    await load(service.url, streamBody, 64, Infinity, 8000 * scale, true)
    for (let block = 0; block < 6; block++) await load(service.url, plainBody, 1, 500 * scale, 10_000)
  }

  // 1. Added latency at concurrency 1: alternating blocks so drift hits every side alike.
  for (let block = 0; block < 6; block++) {
    for (const name of names) sides[name].latencies.push(...(await load(targets[name].url, plainBody, 1, 500 * scale, 10_000)).latencies)
  }
  // 2. Throughput at concurrency 64 (non-stream), and CPU time per request of each process in front of the mock.
  // The gateway without limits and with them (issue 3) take turns in a rotating order (a Latin square),
  // so that drift over the phase and the position within a round hit each variant alike.
  const gatewayVariants = [
    { side: sides.relay, service: relay, redis: false },
    ...limitedNames.map((name) => ({ side: limitedSides[name], service: limitedTargets[name]!, redis: name === 'redis' })),
    { side: unrecordedSide, service: unrecorded, redis: false },
  ]
  const remainingBefore = await Promise.all(limitedNames.map((name) => remainingRequests(limitedTargets[name]!.url, chatPath, plainBody)))
  const roundRps: Array<{ off: number; memory: number; redis?: number }> = []
  const recordsRoundRps: Array<{ on: number; off: number }> = []
  let redisServerCpu: number | undefined = 0
  for (let round = 0; round < ROUNDS; round++) {
    const timed = async (service: Service, side: Side, redis = false) => {
      const redisBefore = redis ? await limited.redisCpu?.micros() : undefined
      const cpuBefore = cpuMicros(service.pid)
      const run = await load(service.url, plainBody, 64, Infinity, 3000 * scale)
      side.cpuMicros += cpuMicros(service.pid) - cpuBefore
      side.runs.push(run)
      if (redis) {
        const redisAfter = await limited.redisCpu?.micros()
        redisServerCpu = redisServerCpu === undefined || redisBefore === undefined || redisAfter === undefined ? undefined : redisServerCpu + redisAfter - redisBefore
      }
      return run.requests / run.seconds
    }
    await timed(mock, sides.direct)
    await timed(reference, sides.reference)
    const rpsOf = new Map<Side, number>()
    for (let slot = 0; slot < gatewayVariants.length; slot++) {
      const variant = gatewayVariants[(round + slot) % gatewayVariants.length]!
      rpsOf.set(variant.side, await timed(variant.service, variant.side, variant.redis))
    }
    roundRps.push({ off: rpsOf.get(sides.relay)!, memory: rpsOf.get(limitedSides.memory)!, ...(limited.redis ? { redis: rpsOf.get(limitedSides.redis)! } : {}) })
    recordsRoundRps.push({ on: rpsOf.get(sides.relay)!, off: rpsOf.get(unrecordedSide)! })
  }
  const remainingAfter = await Promise.all(limitedNames.map((name) => remainingRequests(limitedTargets[name]!.url, chatPath, plainBody)))
  // 3. 20-chunk streams at concurrency 64: time to first byte and total time.
  for (let round = 0; round < 2; round++) {
    for (const name of names) sides[name].streams.push(await load(targets[name].url, streamBody, 64, Infinity, 3000 * scale, true))
  }
  // 4. Cache hits against the upstream answering (issue 4).
  const cache = await measureCache((url, body, concurrency, maxRequests, maxMs) => load(url, body, concurrency, maxRequests, maxMs), mock, caching, relay, scale)
  // 5. Memory while holding 2,000 concurrent slow streams.
  const held = await holdStreams(relay, quick ? 500 : 2000)

  const rps = (side: Side) => side.runs.reduce((sum, run) => sum + run.requests, 0) / side.runs.reduce((sum, run) => sum + run.seconds, 0)
  const cpuPerRequest = (side: Side) => side.cpuMicros / side.runs.reduce((sum, run) => sum + run.requests, 0)
  const p50 = (values: number[]) => percentile(values, 50)
  const ttfb = (side: Side) => p50(side.streams.flatMap((run) => run.firstByte))
  const streamTotal = (side: Side) => p50(side.streams.flatMap((run) => run.latencies))
  const { direct, reference: ref, relay: gw } = sides
  const sideErrors = (side: Side) => [...side.runs, ...side.streams].reduce((sum, run) => sum + run.errors, 0)
  const errors = [...names.map((name) => sides[name]), ...limitedNames.map((name) => limitedSides[name])].reduce((sum, side) => sum + sideErrors(side), 0)
  const statuses = (side: Side) => {
    const counts: Record<number, number> = {}
    for (const run of side.runs) for (const [status, count] of Object.entries(run.statuses)) counts[Number(status)] = (counts[Number(status)] ?? 0) + count
    return counts
  }
  const sent = (side: Side) => side.runs.reduce((sum, run) => sum + run.requests + run.errors, 0)
  // Requests the limiter counted during the rounds: the drop of `remaining` between the two probes, less the second probe.
  // Undefined when the header was missing or the window rolled over (the bench crossed midnight UTC).
  const counted = (index: number) => {
    const drop = remainingBefore[index]! - remainingAfter[index]! - 1
    return Number.isFinite(drop) && drop >= 0 ? drop : undefined
  }
  // The median over rounds of each round's cost against the gateway it ran beside: the machine's drift
  // between rounds (measured: ±30% in throughput on this shared VM) cancels out within a round.
  const medianCost = (ratios: number[]) => median(ratios.map((ratio) => (1 - ratio) * 100))
  const mem = limitedSides.memory
  const red = limited.redis === undefined ? undefined : limitedSides.redis
  const limitsC64: LimitsReport = {
    rule: `${hugeLimit} per client`,
    rounds: roundRps.length,
    secondsPerRound: 3 * scale,
    offRps: rps(gw),
    memoryRps: rps(mem),
    memoryCostPct: medianCost(roundRps.map((round) => round.memory / round.off)),
    offCpuUs: cpuPerRequest(gw),
    memoryCpuUs: cpuPerRequest(mem),
    memoryErrors: sideErrors(mem),
    memoryStatuses: statuses(mem),
    memorySent: sent(mem),
    memoryCounted: counted(0),
    roundRps,
    redisUrl: redactedUrl(redisUrl),
    ...(red === undefined
      ? { redisSkipped: limited.redisSkipped }
      : {
          redisRps: rps(red),
          redisCostPct: medianCost(roundRps.map((round) => (round.redis ?? NaN) / round.off)),
          redisCpuUs: cpuPerRequest(red),
          redisServerCpuUs: redisServerCpu === undefined ? undefined : redisServerCpu / red.runs.reduce((sum, run) => sum + run.requests, 0),
          redisErrors: sideErrors(red),
          redisStatuses: statuses(red),
          redisSent: sent(red),
          redisCounted: counted(1),
        }),
  }
  return {
    startedAt,
    quick,
    node: process.version,
    latencyC1: {
      directP50: p50(direct.latencies),
      directP99: percentile(direct.latencies, 99),
      relayP50: p50(gw.latencies),
      relayP99: percentile(gw.latencies, 99),
      referenceP50: p50(ref.latencies),
      referenceP99: percentile(ref.latencies, 99),
      addedP50: p50(gw.latencies) - p50(direct.latencies),
      addedP99: percentile(gw.latencies, 99) - percentile(direct.latencies, 99),
      referenceAddedP50: p50(ref.latencies) - p50(direct.latencies),
      samples: gw.latencies.length,
    },
    throughputC64: { directRps: rps(direct), relayRps: rps(gw), referenceRps: rps(ref), ratio: rps(gw) / rps(direct), referenceRatio: rps(ref) / rps(direct) },
    cpuPerRequestUs: cpuPerRequest(gw),
    referenceCpuPerRequestUs: cpuPerRequest(ref),
    streamsC64: {
      directTtfbP50: ttfb(direct),
      relayTtfbP50: ttfb(gw),
      referenceTtfbP50: ttfb(ref),
      addedTtfbP50: ttfb(gw) - ttfb(direct),
      directTotalP50: streamTotal(direct),
      relayTotalP50: streamTotal(gw),
      referenceTotalP50: streamTotal(ref),
      addedTotalP50: streamTotal(gw) - streamTotal(direct),
    },
    memory: { idleRssMb: rssIdle, heldStreams: held.streams, heldStreamsRssMb: held.rssMb },
    limitsC64,
    records: {
      onRps: rps(gw),
      offRps: rps(unrecordedSide),
      costPct: medianCost(recordsRoundRps.map((round) => round.on / round.off)),
      onCpuUs: cpuPerRequest(gw),
      offCpuUs: cpuPerRequest(unrecordedSide),
      roundRps: recordsRoundRps,
      errors: sideErrors(unrecordedSide),
    },
    cache,
    errors,
  }
}

/** Throughput rounds per gateway variant (each 3 s at c=64, in rotating order). */
const ROUNDS = 5

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function emptySide(): Side {
  return { latencies: [], runs: [], cpuMicros: 0, streams: [] }
}

/** Opens `count` slow streams through the gateway, waits until every one has started, and samples the gateway's RSS while they are held. */
async function holdStreams(relay: Service, count: number): Promise<{ streams: number; rssMb: number }> {
  const pool = new Pool(relay.url, { connections: count, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 })
  const controller = new AbortController()
  // One signal for all held streams: each request listens to it.
  setMaxListeners(count + 10, controller.signal)
  let started = 0
  const streams = Array.from({ length: count }, async () => {
    try {
      const response = await pool.request({ path: chatPath, method: 'POST', headers: { 'content-type': 'application/json' }, body: slowStreamBody, signal: controller.signal })
      let first = true
      for await (const _chunk of response.body) {
        if (first) started++
        first = false
      }
    } catch {
      // aborted on purpose below
    }
  })
  const deadline = Date.now() + 30_000
  while (started < count && Date.now() < deadline) await sleep(100)
  let max = 0
  for (let sample = 0; sample < 10; sample++) {
    max = Math.max(max, rssMb(relay.pid))
    await sleep(100)
  }
  controller.abort()
  await Promise.allSettled(streams)
  await pool.destroy()
  return { streams: started, rssMb: max }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

await main()
