/**
 * What a feature costs at c=64, non-stream (issues 3 and 5): the plain gateway against the same
 * gateway with one thing changed (request limits in memory or in Redis, records off).
 *
 * Measured on this 2-core VM, three things are each larger than the 5% to be shown:
 * - the machine: one gateway's throughput moves by up to ±15% from one second to the next;
 * - the process: two processes of the same build and config differ by up to ±10% for their whole
 *   life (V8 settles each one differently: seen in CPU profiles as Node's own process.nextTick
 *   taking 1 or 11 us a request, and as some processes promoting far more to the old generation);
 * - switching one process between configs by reload: a limiter that comes and goes every few
 *   seconds measured 10-20% where a process that always had it measured 0-3%.
 * So each variant runs side by side with a plain gateway: both started fresh, warmed together, then
 * loaded together, each by its own 64 clients, so that every second of the machine's weather falls
 * on both alike; a block does this once per variant, and several blocks (new processes each time)
 * average out the processes' luck. Which of the two starts and is loaded first alternates from
 * block to block (measured: the first process started served ~4% more than an identical later
 * one). A "control" variant with the plain config shows what a cost of zero looks like here.
 * (Five gateways at once were tried: each then served ~300 requests/s at ~900 us of CPU a
 * request, far from how a gateway runs.)
 *
 * Side by side, the machine is saturated and shared, so a feature's throughput shows only the work
 * on the gateway's own event loop: a records thread or the Redis server take their CPU from every
 * process alike. The cost judged is therefore the CPU per request, all threads of the gateway plus
 * (Redis variant) the Redis server's: on a saturated machine, throughput is CPU per request. The
 * throughput ratio is reported beside it.
 */
import type { LoadResult } from './load.js'
import { cpuMicros, type Service } from './processes.js'

export interface CostVariant {
  name: string
  config: Record<string, unknown>
  /**
   * How a ratio (variant / plain) becomes a cost in percent: `with` when the variant adds the feature,
   * `without` when it takes it away from the plain gateway (then the plain gateway is the one paying).
   */
  feature: 'with' | 'without'
  /** Read the limiter's remaining count before and after the measured rounds, to show it counted every request. */
  countsRequests?: boolean
  /** Add the Redis server's CPU, measured over the rounds, to this variant's CPU per request. */
  usesRedis?: boolean
}

export interface CostOptions {
  plain: Record<string, unknown>
  variants: CostVariant[]
  blocks: number
  rounds: number
  roundMs: number
  warmMs: number
  /** Starts a gateway with this config in its own process. */
  start: (name: string, config: Record<string, unknown>) => Promise<Service>
  load: (url: string, concurrency: number, maxRequests: number, maxMs: number) => Promise<LoadResult>
  /** The limiter's remaining count for the bench's client, NaN when absent. */
  remaining?: (url: string) => Promise<number>
  /** CPU of the Redis server so far (the whole server), in microseconds. */
  redisCpuMicros?: () => Promise<number | undefined>
  /** Called after each block with a one-line summary, so a long run shows progress. */
  progress?: (line: string) => void
}

export interface VariantCost {
  name: string
  feature: 'with' | 'without'
  /** Cost in CPU per request, percent: the median over blocks. */
  cpuCostPct: number
  /** Each block's CPU cost, in block order. */
  blockCpuCostsPct: number[]
  /** Cost in throughput side by side, percent: the median over blocks (see the file comment for what it leaves out). */
  rpsCostPct: number
  blockRpsCostsPct: number[]
  rps: number
  cpuUs: number
  /** The Redis server's CPU per request of the Redis variant (the whole server; included in cpuCostPct). */
  redisServerCpuUs?: number
  errors: number
  statuses: Record<number, number>
  sent: number
  /** Requests the limiter counted (countsRequests only); undefined when a probe failed. */
  counted?: number
}

export interface CostReport {
  blocks: number
  rounds: number
  roundSeconds: number
  plainRps: number
  plainCpuUs: number
  variants: VariantCost[]
}

interface Side {
  requests: number
  seconds: number
  cpuMicros: number
  errors: number
  statuses: Record<number, number>
}

interface Tally extends Side {
  cpuCosts: number[]
  rpsCosts: number[]
  counted: number | undefined
  redisMicros: number | undefined
}

export async function measureCosts(options: CostOptions): Promise<CostReport> {
  const { variants } = options
  const plainTotal = emptySide()
  const tallies: Tally[] = variants.map(() => ({ ...emptySide(), cpuCosts: [], rpsCosts: [], counted: 0, redisMicros: 0 }))
  for (let block = 0; block < options.blocks; block++) {
    const summary: string[] = []
    for (let step = 0; step < variants.length; step++) {
      const index = (block + step) % variants.length
      const variant = variants[index]!
      const tally = tallies[index]!
      const { plain, side, redisMicros, counted } = await measurePair(options, variant, block, index)
      merge(plainTotal, plain)
      merge(tally, side)
      if (variant.usesRedis) tally.redisMicros = tally.redisMicros === undefined || redisMicros === undefined ? undefined : tally.redisMicros + redisMicros
      if (variant.countsRequests) tally.counted = tally.counted === undefined || counted === undefined ? undefined : tally.counted + counted
      // The Redis server works for the Redis variant alone: the plain gateway beside it does not use it.
      const redisPerRequest = variant.usesRedis && redisMicros !== undefined ? redisMicros / side.requests : 0
      const cpuRatio = (side.cpuMicros / side.requests + redisPerRequest) / (plain.cpuMicros / plain.requests)
      const rpsRatio = side.requests / side.seconds / (plain.requests / plain.seconds)
      // Adding a feature costs what the variant pays more; taking it away, what the plain gateway pays more.
      tally.cpuCosts.push(variant.feature === 'with' ? (cpuRatio - 1) * 100 : (1 / cpuRatio - 1) * 100)
      tally.rpsCosts.push(variant.feature === 'with' ? (1 - rpsRatio) * 100 : (1 - 1 / rpsRatio) * 100)
      summary.push(`${variant.name} ${pct(tally.cpuCosts.at(-1)!)} CPU, ${pct(tally.rpsCosts.at(-1)!)} throughput`)
    }
    options.progress?.(`block ${block + 1}/${options.blocks}: ${summary.join('; ')}`)
  }
  return {
    blocks: options.blocks,
    rounds: options.rounds,
    roundSeconds: options.roundMs / 1000,
    plainRps: plainTotal.requests / plainTotal.seconds,
    plainCpuUs: plainTotal.cpuMicros / plainTotal.requests,
    variants: variants.map((variant, index) => summarize(variant, tallies[index]!)),
  }
}

/** A fresh plain gateway and a fresh variant, warmed and loaded together; which starts and is loaded first alternates by block. */
async function measurePair(
  options: CostOptions,
  variant: CostVariant,
  block: number,
  index: number,
): Promise<{ plain: Side; side: Side; redisMicros: number | undefined; counted: number | undefined }> {
  const services: Service[] = []
  try {
    const configs = block % 2 === 0 ? [options.plain, variant.config] : [variant.config, options.plain]
    for (const [position, config] of configs.entries()) services.push(await options.start(`${position === (block % 2) ? 'plain' : `variant${index}`}-${block}`, config))
    const [plainService, variantService] = block % 2 === 0 ? [services[0]!, services[1]!] : [services[1]!, services[0]!]
    await Promise.all(services.map((service) => options.load(service.url, 64, Infinity, options.warmMs)))
    const remainingBefore = variant.countsRequests ? await probe(options, variantService.url) : NaN
    const plain = emptySide()
    const side = emptySide()
    let redisMicros: number | undefined = 0
    for (let round = 0; round < options.rounds; round++) {
      const cpuBefore = services.map((service) => cpuMicros(service.pid))
      const redisBefore = variant.usesRedis ? await options.redisCpuMicros?.() : undefined
      const runs = await Promise.all(services.map((service) => options.load(service.url, 64, Infinity, options.roundMs)))
      const redisAfter = variant.usesRedis ? await options.redisCpuMicros?.() : undefined
      redisMicros = redisMicros === undefined || redisBefore === undefined || redisAfter === undefined ? undefined : redisMicros + redisAfter - redisBefore
      services.forEach((service, position) => add(service === plainService ? plain : side, runs[position]!, cpuMicros(service.pid) - cpuBefore[position]!))
    }
    // The drop of `remaining` between the probes, less the second probe itself.
    const drop = variant.countsRequests ? remainingBefore - (await probe(options, variantService.url)) - 1 : NaN
    return { plain, side, redisMicros, counted: Number.isFinite(drop) && drop >= 0 ? drop : undefined }
  } finally {
    await Promise.all(services.map((service) => service.stop()))
  }
}

function summarize(variant: CostVariant, tally: Tally): VariantCost {
  return {
    name: variant.name,
    feature: variant.feature,
    cpuCostPct: median(tally.cpuCosts),
    blockCpuCostsPct: tally.cpuCosts,
    rpsCostPct: median(tally.rpsCosts),
    blockRpsCostsPct: tally.rpsCosts,
    rps: tally.requests / tally.seconds,
    cpuUs: tally.cpuMicros / tally.requests,
    ...(variant.usesRedis && tally.redisMicros !== undefined ? { redisServerCpuUs: tally.redisMicros / tally.requests } : {}),
    errors: tally.errors,
    statuses: tally.statuses,
    sent: tally.requests + tally.errors,
    ...(variant.countsRequests ? { counted: tally.counted } : {}),
  }
}

function add(side: Side, run: LoadResult, cpu: number): void {
  side.requests += run.requests
  side.seconds += run.seconds
  side.errors += run.errors
  side.cpuMicros += cpu
  for (const [status, count] of Object.entries(run.statuses)) side.statuses[Number(status)] = (side.statuses[Number(status)] ?? 0) + count
}

function merge(into: Side, side: Side): void {
  into.requests += side.requests
  into.seconds += side.seconds
  into.errors += side.errors
  into.cpuMicros += side.cpuMicros
  for (const [status, count] of Object.entries(side.statuses)) into.statuses[Number(status)] = (into.statuses[Number(status)] ?? 0) + count
}

async function probe(options: CostOptions, url: string): Promise<number> {
  return options.remaining === undefined ? NaN : options.remaining(url)
}

function emptySide(): Side {
  return { requests: 0, seconds: 0, cpuMicros: 0, errors: 0, statuses: {} }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const pct = (value: number) => `${value.toFixed(1)}%`
