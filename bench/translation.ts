/**
 * What translation costs (issues 14 and 16): one gateway process with two routes to the same mock,
 * `/openai` (an OpenAI upstream) and `/anthropic` (an Anthropic upstream), and four ways through it:
 *
 * - `openai`: OpenAI chat → OpenAI upstream, the answer relayed as it comes (the baseline);
 * - `anthropic`: OpenAI chat → Anthropic upstream, request and answer translated (issue 14);
 * - `messagesIn`: an Anthropic Messages client (Claude Code's dialect) → OpenAI upstream (issue 16);
 * - `responsesIn`: an OpenAI Responses client (Codex's dialect) → OpenAI upstream (issue 16).
 *
 * They are loaded in turns of short slots as the costs bench does, so every side runs in the same
 * process, warm, a few hundred ms apart. Each slot's gateway CPU per request is paired with the
 * baseline's slot beside it; a side's ratio is their median. Plain answers and 20-chunk streams (5 ms
 * apart), c=64; latency at c=1 beside direct calls to the mock in the upstream's API, so "added"
 * means what the gateway adds on each path. The load is raw HTTP in each dialect's wire format: what
 * an SDK sends, without the SDK's own CPU in the client process.
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
// Behaviours as headers: a translated body carries no `mock` field.
const streamHeaders = { 'x-mock-chunks': '20', 'x-mock-chunk-delay-ms': '5' }
const anthropicHeaders = { 'x-api-key': 'sk-bench-direct', 'anthropic-version': '2023-06-01' }

/** One way through the gateway: where it goes, the body in its client's dialect, and the same request straight to the mock in the upstream's API. */
interface Way {
  label: string
  path: string
  body(stream: boolean): string
  headers?: Record<string, string>
  direct: { path: string; body(stream: boolean): string; headers?: Record<string, string> }
}

const chatBody = (stream: boolean) => JSON.stringify({ model: 'bench-model', messages, ...(stream && { stream: true }) })
const messagesBody = (stream: boolean) => JSON.stringify({ model: 'bench-model', max_tokens: 256, messages, ...(stream && { stream: true }) })
const responsesBody = (stream: boolean) => JSON.stringify({ model: 'bench-model', input: 'Say hello.', ...(stream && { stream: true }) })
const directChat = { path: '/v1/chat/completions', body: chatBody }

export const ways = {
  openai: { label: 'OpenAI chat → OpenAI', path: `${translationRoutes.openai}/v1/chat/completions`, body: chatBody, direct: directChat },
  anthropic: { label: 'OpenAI chat → Anthropic', path: `${translationRoutes.anthropic}/v1/chat/completions`, body: chatBody, direct: { path: '/v1/messages', body: messagesBody, headers: anthropicHeaders } },
  messagesIn: { label: 'Anthropic Messages → OpenAI', path: `${translationRoutes.openai}/v1/messages`, body: messagesBody, headers: { 'anthropic-version': '2023-06-01' }, direct: directChat },
  responsesIn: { label: 'Responses → OpenAI', path: `${translationRoutes.openai}/v1/responses`, body: responsesBody, direct: directChat },
} satisfies Record<string, Way>

export type WayName = keyof typeof ways

export interface TranslationSide {
  label: string
  /** Gateway CPU per plain request and per 20-chunk stream, in us: the median of its slots. */
  cpuUs: number
  streamCpuUs: number
  /** Median over paired slots of this side's CPU / the baseline's (openai): plain (target <= 1.5) and streams (target <= 2). */
  plainCpuRatio: number
  streamCpuRatio: number
  /** p50 latency at c=1 (plain), ms. */
  latencyC1P50: number
  /** The same request straight to the mock in the upstream's API, p50 at c=1, ms. */
  directC1P50: number
  /** Stream time to first byte, p50 at c=64, ms, and straight to the mock. */
  ttfbP50: number
  directTtfbP50: number
  rps: number
  errors: number
}

export interface TranslationReport {
  sides: Record<WayName, TranslationSide>
  pairs: number
}

const names = Object.keys(ways) as WayName[]

export async function measureTranslation(mock: Service, relay: Service, scale: number): Promise<TranslationReport> {
  const slotMs = 1000
  const slots = Math.max(4, Math.round(20 * scale))
  const pool = loadPool(relay.url, 64)
  const directPool = loadPool(mock.url, 64)
  try {
    const run = (name: WayName, stream: boolean, concurrency: number, maxMs: number, maxRequests = Infinity) => {
      const way: Way = ways[name]
      return runLoad({ pool: concurrency === 64 ? pool : undefined, url: relay.url, path: way.path, body: way.body(stream), concurrency, maxRequests, maxMs, timeFirstByte: stream, headers: { ...way.headers, ...(stream ? streamHeaders : {}) } })
    }
    const direct = (name: WayName, stream: boolean, concurrency: number, maxMs: number, maxRequests = Infinity) => {
      const { direct: target } = ways[name] as Way
      return runLoad({ pool: concurrency === 64 ? directPool : undefined, url: mock.url, path: target.path, body: target.body(stream), concurrency, maxRequests, maxMs, timeFirstByte: stream, headers: { ...target.headers, ...(stream ? streamHeaders : {}) } })
    }
    // Warm every way and both kinds before anything is timed.
    for (const stream of [false, true]) for (const name of names) await run(name, stream, 64, 3000 * scale)

    // CPU per request in slots: the baseline and every other side in an order that rotates, so none always follows the same one.
    const cpu = Object.fromEntries(names.map((name) => [name, { plain: [] as number[], stream: [] as number[] }])) as Record<WayName, { plain: number[]; stream: number[] }>
    const ratios = Object.fromEntries(names.map((name) => [name, { plain: [] as number[], stream: [] as number[] }])) as Record<WayName, { plain: number[]; stream: number[] }>
    const streams = Object.fromEntries(names.map((name) => [name, [] as LoadResult[]])) as Record<WayName, LoadResult[]>
    const rps = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<WayName, number[]>
    const errors = Object.fromEntries(names.map((name) => [name, 0])) as Record<WayName, number>
    for (const kind of ['plain', 'stream'] as const) {
      for (let slot = 0; slot < slots; slot++) {
        const order = names.map((_, index) => names[(index + slot) % names.length]!)
        const perRequest: Partial<Record<WayName, number>> = {}
        for (const name of order) {
          const before = cpuMicros(relay.pid)
          const result = await run(name, kind === 'stream', 64, slotMs)
          perRequest[name] = (cpuMicros(relay.pid) - before) / Math.max(1, result.requests)
          cpu[name][kind].push(perRequest[name])
          errors[name] += result.errors
          if (kind === 'stream') streams[name].push(result)
          else rps[name].push(result.requests / result.seconds)
        }
        for (const name of names) ratios[name][kind].push(perRequest[name]! / perRequest.openai!)
      }
    }
    // Latency at c=1, alternating blocks; and straight to the mock in the upstream's API.
    const latency = Object.fromEntries(names.map((name) => [name, { relay: [] as number[], direct: [] as number[] }])) as Record<WayName, { relay: number[]; direct: number[] }>
    for (let block = 0; block < 4; block++) {
      for (const name of names) {
        latency[name].relay.push(...(await run(name, false, 1, 10_000, 300 * scale)).latencies)
        latency[name].direct.push(...(await direct(name, false, 1, 10_000, 300 * scale)).latencies)
      }
    }
    const median = (values: number[]) => percentile(values, 50)
    const sides = {} as Record<WayName, TranslationSide>
    for (const name of names) {
      sides[name] = {
        label: ways[name].label,
        cpuUs: median(cpu[name].plain),
        streamCpuUs: median(cpu[name].stream),
        plainCpuRatio: median(ratios[name].plain),
        streamCpuRatio: median(ratios[name].stream),
        latencyC1P50: median(latency[name].relay),
        directC1P50: median(latency[name].direct),
        ttfbP50: median(streams[name].flatMap((result) => result.firstByte)),
        directTtfbP50: median((await direct(name, true, 64, 3000 * scale)).firstByte),
        rps: median(rps[name]),
        errors: errors[name],
      }
    }
    return { sides, pairs: slots }
  } finally {
    await pool.close()
    await directPool.close()
  }
}
