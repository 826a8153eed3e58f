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
import { costRoutes, measureCosts, type CostRelay, type CostVariant } from './costs.js'
import { limiterLogicMicros } from './limiter-logic.js'
import { loadPool, percentile, runLoad, type LoadResult } from './load.js'
import { limitsSection, redactedUrl, RedisCpu, redisReachable, redisUrl, remainingRequests } from './limits.js'
import { recordsIn } from './gateway-state.js'
import { cpuMicros, freePort, rssMb, startProcess, startService, type Service } from './processes.js'
import { measureAdminRequests } from './admin-requests.js'
import { printAdminRequests, printCosts, printReport, printTranslation, type BenchReport } from './report.js'
import { measureTranslation, translationConfig } from './translation.js'
import { measureWorkers, printWorkers } from './workers.js'
import { nginxPath, startNginx } from './nginx.js'
import { measureStreams, printStreams } from './streams.js'

const quick = process.argv.includes('--quick')
/** Only the costs of limits and records (issues 3 and 5): `npm run bench -- --costs-only`. */
const costsOnly = process.argv.includes('--costs-only')
/** Only what translating to another provider costs (issue 14): `npm run bench -- --translation-only`. */
const translationOnly = process.argv.includes('--translation-only')
/** Only the admin API's request list on a million records (issue 15): `npm run bench -- --admin-requests-only`. */
const adminRequestsOnly = process.argv.includes('--admin-requests-only')
/** Only the lean-stream figures (issue 17 point 2): `npm run bench -- --streams-only`. */
const streamsOnly = process.argv.includes('--streams-only')
/** Only 1 worker beside 2 (issue 17): `npm run bench -- --workers-only`. */
const workersOnly = process.argv.includes('--workers-only')
/** `--processes-per-variant N`: more pairs for a tighter interval (default 2, 1 with --quick), a minute each. */
const processesPerVariant = numberAfter('--processes-per-variant') ?? (quick ? 1 : 2)
/** `--variants control,memory-limits`: only these cost variants (names with - for spaces). */
const onlyVariants = process.argv.includes('--variants') ? (process.argv[process.argv.indexOf('--variants') + 1] ?? '').split(',').map((name) => name.replace(/-/g, ' ')) : undefined

/** Writes bench/results/NAME-<time>.json. */
function saveResult(name: string, result: Record<string, unknown>): void {
  const finishedAt = new Date().toISOString()
  const resultsDir = new URL('./results/', import.meta.url)
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(new URL(`${name}-${finishedAt.replace(/[:.]/g, '-')}.json`, resultsDir), JSON.stringify({ finishedAt, node: process.version, ...result }, null, 2))
}

function numberAfter(flag: string): number | undefined {
  const index = process.argv.indexOf(flag)
  if (index === -1) return undefined
  const value = Number(process.argv[index + 1])
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag} takes a whole number >= 1 (got ${process.argv[index + 1]})`)
  return value
}
const scale = quick ? 0.25 : 1
const chatPath = '/v1/chat/completions'
const plainBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] })
const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }], mock: { chunks: 20, chunkDelayMs: 5 } })
const slowStreamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }], mock: { chunks: 40, chunkDelayMs: 500 } })

async function main(): Promise<void> {
  if (adminRequestsOnly) {
    const report = await measureAdminRequests(quick ? 200_000 : 1_000_000)
    printAdminRequests(report)
    const finishedAt = new Date().toISOString()
    const resultsDir = new URL('./results/', import.meta.url)
    mkdirSync(resultsDir, { recursive: true })
    writeFileSync(new URL(`admin-requests-${finishedAt.replace(/[:.]/g, '-')}.json`, resultsDir), JSON.stringify({ finishedAt, node: process.version, ...report }, null, 2))
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-bench-'))
  // Every process started is stopped at the end, also when a later one fails to start.
  const services: Service[] = []
  let redisCpu: RedisCpu | undefined
  try {
    const mockPort = await freePort()
    const mock = await startService(['mock', '--port', String(mockPort)], '/healthz', mockPort)
    services.push(mock)
    const baseConfig = { log: { level: 'warn' }, routes: [{ path: '/', type: 'openai', upstreams: [{ name: 'mock', url: mock.url, keys: ['sk-bench-upstream'] }] }] }
    const startRelay = async (name: string, config: Record<string, unknown>, extraArgs: string[] = []) => {
      const port = await freePort()
      const configFile = join(dir, `${name}.yaml`)
      writeFileSync(configFile, stringify(config))
      const service = await startService(['run', '--config', configFile, '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, `data-${name}`), ...extraArgs], '/healthz', port)
      services.push(service)
      return service
    }
    const reachable = await redisReachable(redisUrl)
    const redisSkipped = reachable.ok ? undefined : `Redis at ${redactedUrl(redisUrl)} not reachable (${reachable.reason})`
    if (redisSkipped !== undefined) console.log(`limits (issue 3): ${redisSkipped}; the Redis limiter variant is skipped`)
    else redisCpu = new RedisCpu(redisUrl)
    const workersOf = () => measureWorkers((workers) => startRelay(`workers-${workers}`, baseConfig, ['--workers', String(workers)]), plainBody, scale)
    const streamsOf = async (relay: Service, reference: Service) => {
      const nginx = nginxPath()
      const targets: Record<string, Service> = { 'llm-relay': relay, 'bare pass-through': reference }
      if (nginx !== undefined) {
        const service = await startNginx(nginx, dir, await freePort(), mock.url)
        services.push(service)
        targets.nginx = service
      }
      return measureStreams(mock, targets, scale)
    }
    const startReference = async () => {
      const referencePort = await freePort()
      const referenceScript = fileURLToPath(new URL('./reference-passthrough.ts', import.meta.url))
      const reference = await startProcess(['--import', 'tsx', referenceScript, String(referencePort), mock.url], '/healthz', referencePort)
      services.push(reference)
      return reference
    }
    if (streamsOnly) {
      const streams = await streamsOf(await startRelay('streams', baseConfig), await startReference())
      printStreams(streams)
      saveResult('streams', { streams })
      return
    }
    if (workersOnly) {
      const workers = await workersOf()
      printWorkers(workers)
      saveResult('workers', { workers })
      return
    }
    if (translationOnly) {
      const translation = await measureTranslation(mock, await startRelay('translation', translationConfig(mock.url)), scale)
      printTranslation(translation)
      const finishedAt = new Date().toISOString()
      const resultsDir = new URL('./results/', import.meta.url)
      mkdirSync(resultsDir, { recursive: true })
      writeFileSync(new URL(`translation-${finishedAt.replace(/[:.]/g, '-')}.json`, resultsDir), JSON.stringify({ finishedAt, node: process.version, translation }, null, 2))
      return
    }
    let report: BenchReport | undefined
    if (!costsOnly) {
      const relay = await startRelay('bench', baseConfig)
      const reference = await startReference()
      // Issue 4: the same gateway with the answer cache on (memory backend).
      const caching = await startRelay('cache', { ...baseConfig, routes: baseConfig.routes.map((route) => ({ ...route, cache: 'always' })) })
      report = await measure(mock, relay, reference, caching)
      // Issue 14: OpenAI clients reaching an Anthropic upstream, beside an OpenAI one, in one gateway.
      report.translation = await measureTranslation(mock, await startRelay('translation', translationConfig(mock.url)), scale)
      report.streams = await streamsOf(relay, reference)
      report.workers = await workersOf()
    }
    // Issues 3 and 5: what limits and records cost, each variant in gateway processes of its own, on
    // two routes that differ only in the feature (bench/costs.ts).
    const upstreams = baseConfig.routes[0]!.upstreams
    const costConfig = (variant: Record<string, unknown> = {}, plain: Record<string, unknown> = {}) => ({
      log: baseConfig.log,
      routes: [
        { path: costRoutes.plain, type: 'openai', upstreams, ...plain },
        { path: costRoutes.variant, type: 'openai', upstreams, ...variant },
      ],
    })
    const allVariants: CostVariant[] = [
      { name: 'control', config: costConfig(), recorded: ['plain', 'variant'] },
      { name: 'memory limits', config: { ...costConfig(), limits: limitsSection('memory', costRoutes.variant) }, recorded: ['plain', 'variant'], countsRequests: true },
      ...(redisSkipped === undefined
        ? [{ name: 'Redis limits', config: { ...costConfig(), limits: limitsSection(redisUrl, costRoutes.variant) }, recorded: ['plain', 'variant'] as const, countsRequests: true, usesRedis: true }]
        : []),
      // Records at the default level (meta) on /variant, none on /plain: the store is open in both
      // slots, and a request of /plain builds and writes nothing. The plain route's first slot starts
      // 1.1 s after the variant's last one, past the writer's 1 s flush: the variant's last batch is written by then.
      { name: 'records', config: costConfig({}, { records: 'none' }), recorded: ['variant'], leadAfterVariantMs: 1100 },
    ]
    const variants = onlyVariants === undefined ? allVariants : allVariants.filter((variant) => onlyVariants.includes(variant.name))
    if (variants.length === 0) throw new Error(`--variants matched none of: ${allVariants.map((variant) => variant.name.replace(/ /g, '-')).join(', ')}`)
    const startCostRelay = async (name: string, config: Record<string, unknown>): Promise<CostRelay> => {
      const service = await startRelay(name, config)
      return { service, recordsWritten: () => recordsIn(join(dir, `data-${name}`)) }
    }
    const costs = await measureCosts({
      variants,
      processesPerVariant,
      measureMs: 60_000 * scale,
      slotMs: 300,
      leadMs: 50,
      warmMs: 3000 * scale,
      start: startCostRelay,
      pool: (url) => loadPool(url, 64),
      load: (pool, url, path, maxMs) => runLoad({ pool, url, path, body: plainBody, concurrency: 64, maxRequests: Infinity, maxMs }),
      remaining: (url, path) => remainingRequests(url, path, plainBody),
      redisCpuMicros: async () => redisCpu?.micros(),
      progress: (line) => console.log(`costs (issues 3 and 5): ${line}`),
    })
    const costExtras = { costsRedisSkipped: redisSkipped, limiterLogicMicros: limiterLogicMicros() }
    const resultsDir = new URL('./results/', import.meta.url)
    mkdirSync(resultsDir, { recursive: true })
    if (report === undefined) {
      printCosts(costs, costExtras)
      const finishedAt = new Date().toISOString()
      writeFileSync(new URL(`costs-${finishedAt.replace(/[:.]/g, '-')}.json`, resultsDir), JSON.stringify({ finishedAt, node: process.version, costs, ...costExtras }, null, 2))
      return
    }
    Object.assign(report, { costs }, costExtras)
    printReport(report)
    if (report.translation !== undefined) printTranslation(report.translation)
    if (report.streams !== undefined) printStreams(report.streams)
    if (report.workers !== undefined) printWorkers(report.workers)
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

async function measure(mock: Service, relay: Service, reference: Service, caching: Service): Promise<BenchReport> {
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

  // 1. Added latency at concurrency 1: alternating blocks so drift hits every side alike.
  for (let block = 0; block < 6; block++) {
    for (const name of names) sides[name].latencies.push(...(await load(targets[name].url, plainBody, 1, 500 * scale, 10_000)).latencies)
  }
  // 2. Throughput at concurrency 64 (non-stream), and CPU time per request of each process in front of the mock,
  // in rounds that rotate the order so that drift over the phase hits each side alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (let slot = 0; slot < names.length; slot++) {
      const name = names[(round + slot) % names.length]!
      const side = sides[name]
      const service = targets[name]
      const cpuBefore = cpuMicros(service.pid)
      const run = await load(service.url, plainBody, 64, Infinity, 3000 * scale)
      side.cpuMicros += cpuMicros(service.pid) - cpuBefore
      side.runs.push(run)
    }
  }
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
  const errors = names.map((name) => sides[name]).reduce((sum, side) => sum + sideErrors(side), 0)
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
    cache,
    errors,
  }
}

/** Throughput rounds of the direct, bare and gateway sides (each 3 s at c=64, in rotating order). */
const ROUNDS = 3

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
