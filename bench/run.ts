/**
 * `npm run bench`: the mock upstream and the gateway each in their own process, the load generator
 * in this one. Every gateway figure is measured in the same run as the same load sent straight to
 * the mock, and reported as a ratio or a difference against it.
 */
import { setMaxListeners } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { stringify } from 'yaml'
import { percentile, runLoad, type LoadResult } from './load.js'
import { cpuMicros, freePort, rssMb, startService, type Service } from './processes.js'
import { printReport, type BenchReport } from './report.js'

const quick = process.argv.includes('--quick')
const scale = quick ? 0.25 : 1
const chatPath = '/v1/chat/completions'
const plainBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] })
const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }], mock: { chunks: 20, chunkDelayMs: 5 } })
const slowStreamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }], mock: { chunks: 40, chunkDelayMs: 500 } })

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-bench-'))
  const mockPort = await freePort()
  const mock = await startService(['mock', '--port', String(mockPort)], '/healthz', mockPort)
  const relayPort = await freePort()
  const configFile = join(dir, 'bench.yaml')
  writeFileSync(configFile, stringify({ log: { level: 'warn' }, routes: [{ path: '/', type: 'openai', upstreams: [{ name: 'mock', url: mock.url, keys: ['sk-bench-upstream'] }] }] }))
  const relay = await startService(['run', '--config', configFile, '--host', '127.0.0.1', '--port', String(relayPort), '--data-dir', join(dir, 'data')], '/healthz', relayPort)
  try {
    const report = await measure(mock, relay)
    printReport(report)
    const resultsDir = new URL('./results/', import.meta.url)
    mkdirSync(resultsDir, { recursive: true })
    const json = JSON.stringify(report, null, 2)
    writeFileSync(new URL(`bench-${report.startedAt.replace(/[:.]/g, '-')}.json`, resultsDir), json)
    writeFileSync(new URL('latest.json', resultsDir), json)
  } finally {
    await relay.stop()
    await mock.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function measure(mock: Service, relay: Service): Promise<BenchReport> {
  const startedAt = new Date().toISOString()
  const load = (url: string, body: string, concurrency: number, maxRequests: number, maxMs: number, timeFirstByte = false) =>
    runLoad({ url, path: chatPath, body, concurrency, maxRequests, maxMs, timeFirstByte })

  // Warm-up: JIT-compile both sides and fill the connection pools before anything is timed.
  await load(mock.url, plainBody, 64, Infinity, 3000 * scale)
  await load(relay.url, plainBody, 64, Infinity, 3000 * scale)
  // Streaming paths take longer to reach steady state (measured: TTFB through the gateway settles after ~8 s).
  await load(relay.url, streamBody, 64, Infinity, 8000 * scale, true)
  await load(mock.url, streamBody, 64, Infinity, 2000 * scale, true)
  await sleep(500)
  const rssIdle = rssMb(relay.pid)

  // 1. Added latency at concurrency 1: alternating blocks so drift hits both sides alike.
  const direct1: number[] = []
  const relayed1: number[] = []
  for (let block = 0; block < 6; block++) {
    direct1.push(...(await load(mock.url, plainBody, 1, 500 * scale, 10_000)).latencies)
    relayed1.push(...(await load(relay.url, plainBody, 1, 500 * scale, 10_000)).latencies)
  }

  // 2. Throughput at concurrency 64 (non-stream), and the gateway's CPU time per request.
  const directRuns: LoadResult[] = []
  const relayRuns: LoadResult[] = []
  let relayCpu = 0
  for (let round = 0; round < 2; round++) {
    directRuns.push(await load(mock.url, plainBody, 64, Infinity, 4000 * scale))
    const cpuBefore = cpuMicros(relay.pid)
    relayRuns.push(await load(relay.url, plainBody, 64, Infinity, 4000 * scale))
    relayCpu += cpuMicros(relay.pid) - cpuBefore
  }
  const rps = (runs: LoadResult[]) => runs.reduce((sum, run) => sum + run.requests, 0) / runs.reduce((sum, run) => sum + run.seconds, 0)
  const relayRequests = relayRuns.reduce((sum, run) => sum + run.requests, 0)

  // 3. 20-chunk streams at concurrency 64: time to first byte and total time.
  const directStreamRuns: LoadResult[] = []
  const relayStreamRuns: LoadResult[] = []
  for (let round = 0; round < 2; round++) {
    directStreamRuns.push(await load(mock.url, streamBody, 64, Infinity, 3000 * scale, true))
    relayStreamRuns.push(await load(relay.url, streamBody, 64, Infinity, 3000 * scale, true))
  }
  const directStream = merge(directStreamRuns)
  const relayStream = merge(relayStreamRuns)

  // 4. Memory while holding 2,000 concurrent slow streams.
  const held = await holdStreams(relay, quick ? 500 : 2000)
  const errors = [...directRuns, ...relayRuns, directStream, relayStream].reduce((sum, run) => sum + run.errors, 0)

  return {
    startedAt,
    quick,
    node: process.version,
    latencyC1: {
      directP50: percentile(direct1, 50),
      directP99: percentile(direct1, 99),
      relayP50: percentile(relayed1, 50),
      relayP99: percentile(relayed1, 99),
      addedP50: percentile(relayed1, 50) - percentile(direct1, 50),
      addedP99: percentile(relayed1, 99) - percentile(direct1, 99),
      samples: relayed1.length,
    },
    throughputC64: { directRps: rps(directRuns), relayRps: rps(relayRuns), ratio: rps(relayRuns) / rps(directRuns) },
    cpuPerRequestUs: relayCpu / relayRequests,
    streamsC64: {
      directTtfbP50: percentile(directStream.firstByte, 50),
      relayTtfbP50: percentile(relayStream.firstByte, 50),
      addedTtfbP50: percentile(relayStream.firstByte, 50) - percentile(directStream.firstByte, 50),
      directTotalP50: percentile(directStream.latencies, 50),
      relayTotalP50: percentile(relayStream.latencies, 50),
      addedTotalP50: percentile(relayStream.latencies, 50) - percentile(directStream.latencies, 50),
    },
    memory: { idleRssMb: rssIdle, heldStreams: held.streams, heldStreamsRssMb: held.rssMb },
    errors,
  }
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

function merge(runs: LoadResult[]): LoadResult {
  return {
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    seconds: runs.reduce((sum, run) => sum + run.seconds, 0),
    latencies: runs.flatMap((run) => run.latencies),
    firstByte: runs.flatMap((run) => run.firstByte),
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

await main()
