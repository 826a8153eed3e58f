/**
 * What translating to another provider costs (issue 14): one gateway process with two routes to the
 * same mock, `/openai` (an OpenAI upstream: the answer relayed as it comes) and `/anthropic` (an
 * Anthropic upstream: the request and the answer translated), loaded in turns of short slots as the
 * costs bench does, so both sides run in the same process, warm, a few hundred ms apart. Each slot's
 * gateway CPU per request is paired with the other route's slot beside it; the ratio is their median.
 * Plain answers and 20-chunk streams (5 ms apart), c=64; latency at c=1 beside direct calls to the
 * mock in each API, so "added" means what the gateway adds on each path.
 */
import type { LoadResult } from './load.js'
import { loadPool, percentile, runLoad } from './load.js'
import { cpuMicros, type Service } from './processes.js'

export const translationRoutes = { openai: '/openai', anthropic: '/anthropic' } as const

/** The gateway config of this bench: the two routes, to the mock at `mockUrl`. */
export function translationConfig(mockUrl: string): Record<string, unknown> {
  return {
    log: { level: 'warn' },
    routes: [
      { path: translationRoutes.openai, upstreams: [{ name: 'openai', url: mockUrl, keys: ['sk-bench-openai'] }] },
      { path: translationRoutes.anthropic, upstreams: [{ name: 'anthropic', provider: 'anthropic', url: mockUrl, keys: ['sk-bench-anthropic'] }] },
    ],
  }
}

const messages = [{ role: 'user', content: 'Say hello.' }]
const chatBody = (stream: boolean) => JSON.stringify({ model: 'bench-model', messages, ...(stream && { stream: true }) })
const anthropicBody = JSON.stringify({ model: 'bench-model', max_tokens: 256, messages })
// Behaviours as headers: a translated body carries no `mock` field.
const streamHeaders = { 'x-mock-chunks': '20', 'x-mock-chunk-delay-ms': '5' }
const directHeaders = { 'x-api-key': 'sk-bench-direct', 'anthropic-version': '2023-06-01' }

export interface TranslationSide {
  /** Gateway CPU per plain request and per 20-chunk stream, in us: the median of its slots. */
  cpuUs: number
  streamCpuUs: number
  /** p50 latency at c=1 (plain), ms. */
  latencyC1P50: number
  /** The same request straight to the mock in this side's API, p50 at c=1, ms. */
  directC1P50: number
  /** Stream time to first byte, p50 at c=64, ms, and straight to the mock. */
  ttfbP50: number
  directTtfbP50: number
  rps: number
  errors: number
}

export interface TranslationReport {
  openai: TranslationSide
  anthropic: TranslationSide
  /** Median over paired slots of anthropic CPU / openai CPU: plain requests (target <= 1.5) and streams (target <= 2). */
  plainCpuRatio: number
  streamCpuRatio: number
  pairs: number
}

export async function measureTranslation(mock: Service, relay: Service, scale: number): Promise<TranslationReport> {
  const slotMs = 1000
  const slots = Math.max(4, Math.round(20 * scale))
  const pool = loadPool(relay.url, 64)
  const directPool = loadPool(mock.url, 64)
  try {
    const run = (path: string, stream: boolean, concurrency: number, maxMs: number, maxRequests = Infinity) =>
      runLoad({ pool: concurrency === 64 ? pool : undefined, url: relay.url, path: `${path}/v1/chat/completions`, body: chatBody(stream), concurrency, maxRequests, maxMs, timeFirstByte: stream, ...(stream && { headers: streamHeaders }) })
    const direct = (anthropic: boolean, stream: boolean, concurrency: number, maxMs: number, maxRequests = Infinity) =>
      runLoad({
        pool: concurrency === 64 ? directPool : undefined,
        url: mock.url,
        path: anthropic ? '/v1/messages' : '/v1/chat/completions',
        body: anthropic ? (stream ? JSON.stringify({ ...JSON.parse(anthropicBody), stream: true }) : anthropicBody) : chatBody(stream),
        concurrency,
        maxRequests,
        maxMs,
        timeFirstByte: stream,
        headers: { ...(anthropic ? directHeaders : {}), ...(stream ? streamHeaders : {}) },
      })
    // Warm both routes and both kinds before anything is timed.
    for (const stream of [false, true]) for (const path of Object.values(translationRoutes)) await run(path, stream, 64, 3000 * scale)

    // CPU per request in paired slots: openai, anthropic, anthropic, openai, ... (each pair one slot after a switch).
    const ratios = { plain: [] as number[], stream: [] as number[] }
    const cpu = { openai: { plain: [] as number[], stream: [] as number[] }, anthropic: { plain: [] as number[], stream: [] as number[] } }
    const streams = { openai: [] as LoadResult[], anthropic: [] as LoadResult[] }
    const errors = { openai: 0, anthropic: 0 }
    const rps = { openai: [] as number[], anthropic: [] as number[] }
    for (const kind of ['plain', 'stream'] as const) {
      for (let slot = 0; slot < slots; slot++) {
        const order = slot % 2 === 0 ? (['openai', 'anthropic'] as const) : (['anthropic', 'openai'] as const)
        const perRequest: Record<string, number> = {}
        for (const side of order) {
          const before = cpuMicros(relay.pid)
          const result = await run(translationRoutes[side], kind === 'stream', 64, slotMs)
          const used = cpuMicros(relay.pid) - before
          perRequest[side] = used / Math.max(1, result.requests)
          cpu[side][kind].push(perRequest[side]!)
          errors[side] += result.errors
          if (kind === 'stream') streams[side].push(result)
          else rps[side].push(result.requests / result.seconds)
        }
        ratios[kind].push(perRequest.anthropic! / perRequest.openai!)
      }
    }
    // Latency at c=1, alternating blocks; and straight to the mock in each API.
    const latency = { openai: [] as number[], anthropic: [] as number[], directOpenai: [] as number[], directAnthropic: [] as number[] }
    for (let block = 0; block < 4; block++) {
      latency.openai.push(...(await run(translationRoutes.openai, false, 1, 10_000, 300 * scale)).latencies)
      latency.anthropic.push(...(await run(translationRoutes.anthropic, false, 1, 10_000, 300 * scale)).latencies)
      latency.directOpenai.push(...(await direct(false, false, 1, 10_000, 300 * scale)).latencies)
      latency.directAnthropic.push(...(await direct(true, false, 1, 10_000, 300 * scale)).latencies)
    }
    const directTtfb = { openai: (await direct(false, true, 64, 3000 * scale)).firstByte, anthropic: (await direct(true, true, 64, 3000 * scale)).firstByte }
    const median = (values: number[]) => percentile(values, 50)
    const side = (name: 'openai' | 'anthropic'): TranslationSide => ({
      cpuUs: median(cpu[name].plain),
      streamCpuUs: median(cpu[name].stream),
      latencyC1P50: median(latency[name]),
      directC1P50: median(name === 'openai' ? latency.directOpenai : latency.directAnthropic),
      ttfbP50: median(streams[name].flatMap((result) => result.firstByte)),
      directTtfbP50: median(directTtfb[name]),
      rps: median(rps[name]),
      errors: errors[name],
    })
    return { openai: side('openai'), anthropic: side('anthropic'), plainCpuRatio: median(ratios.plain), streamCpuRatio: median(ratios.stream), pairs: slots }
  } finally {
    await pool.close()
    await directPool.close()
  }
}
