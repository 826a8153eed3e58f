/**
 * What a feature costs in throughput at c=64, non-stream (issues 3 and 5): the plain gateway against
 * the same gateway with one thing changed (request limits in memory or in Redis, records off or at
 * level none).
 *
 * Measured on this 2-core VM, two kinds of noise are each larger than the 5% to be shown:
 * - the machine: one gateway's throughput moves by up to ±15% from one second to the next;
 * - the process: two processes of the same build and config differ by up to ±10% for their whole
 *   life (less since bin/llm-relay.js turns V8's allocation-site pretenuring off, which was behind
 *   most of it: docs/architecture.md).
 * So a variant is never compared with another process: a gateway serves the plain config and one
 * variant in turn, switched by its own config reload (the file rewritten, the reload seen on
 * /metrics), in 1.5 s slots ordered A V V A, which cancels a linear drift; every slot follows a
 * reload and 300 ms of load. Each V slot is compared with the A slot next to it. Each variant has
 * processes of its own: when one process switched among all the variants, the memory limiter
 * measured 8-23% in the six processes of one run that also ran the Redis limiter, and -2 to 6% in
 * three processes of its own (12% in a fourth): call sites that had seen both stores are slower.
 * Variants take turns process by process, so the machine's drift over the run reaches all of them.
 * What this cannot rule out: a variant that comes and goes every few seconds may run slower than in
 * a process that always has it (its code reoptimized after each switch). Side by side (gateways
 * started each with its own config, loaded together), the load generator's serving order moved an
 * identical control by ±8%, so that design is not used.
 * The cost is the median over all pairs, with a distribution-free 90% interval (which assumes
 * independent pairs: the per-process medians show how far that holds); the same pairs are also
 * judged by the gateway's CPU time per request; a "control" variant that reloads the very same
 * config shows what a cost of zero looks like here.
 */
import type { LoadResult } from './load.js'
import { cpuMicros, type Service } from './processes.js'

export interface CostVariant {
  name: string
  config: Record<string, unknown>
  /**
   * How a pair's ratio (variant rps / plain rps) becomes a cost in percent: `with` when the variant
   * adds the feature (1 - ratio), `without` when it takes it away from the plain gateway (1 - 1/ratio).
   */
  feature: 'with' | 'without'
  /** Read the limiter's remaining count around the variant's slots, to show it counted every request. */
  countsRequests?: boolean
  /** Read the Redis server's CPU around this variant's slots. */
  usesRedis?: boolean
  /** The variant keeps no records (the plain config does): its requests are not expected in the records. */
  recordsOff?: boolean
}

/** A gateway in its own process, whose config file the bench may rewrite. */
export interface CostRelay {
  service: Service
  writeConfig(config: Record<string, unknown>): void
  /** After the process stopped: the rows in its SQLite records. */
  recordsWritten(): number
}

export interface CostOptions {
  plain: Record<string, unknown>
  variants: CostVariant[]
  /** Gateway processes per variant, one after the other; each measures one variant in `quads` rounds. */
  processesPerVariant: number
  quads: number
  slotMs: number
  warmMs: number
  start: (name: string, config: Record<string, unknown>) => Promise<CostRelay>
  load: (url: string, concurrency: number, maxRequests: number, maxMs: number) => Promise<LoadResult>
  /** llm_relay_config_reloads_total{result="applied"} of the gateway. */
  reloads: (url: string) => Promise<number>
  /** The limiter's remaining count for the bench's client, NaN when absent. */
  remaining?: (url: string) => Promise<number>
  redisCpuMicros?: () => Promise<number | undefined>
  /** Called after each process with a one-line summary, so a long run shows progress. */
  progress?: (line: string) => void
}

export interface VariantCost {
  name: string
  feature: 'with' | 'without'
  /** Cost in percent: the median over every pair. */
  costPct: number
  /** A distribution-free 90% interval for that median (order statistics). */
  lowPct: number
  highPct: number
  pairs: number
  /** The median of each gateway process's pairs: the spread between processes. */
  processCostsPct: number[]
  /**
   * The same pairs judged by the gateway's CPU time per request (every thread) instead of its
   * requests per second: the throughput a CPU-bound process would lose. Less moved by what else
   * the machine runs in a slot (the load generator and the mock share its two cores).
   */
  cpuCostPct: number
  cpuLowPct: number
  cpuHighPct: number
  processCpuCostsPct: number[]
  rps: number
  cpuUs: number
  errors: number
  statuses: Record<number, number>
  sent: number
  /** Requests the limiter counted (countsRequests only); undefined when a probe failed. */
  counted?: number
  /** Requests sent while it counted them: `counted` should be this. */
  countSent?: number
  /** The Redis server's CPU per request of this variant (usesRedis only; the whole server). */
  redisServerCpuUs?: number
}

export interface CostReport {
  processesPerVariant: number
  quads: number
  slotSeconds: number
  plainRps: number
  plainCpuUs: number
  variants: VariantCost[]
  /** Rows found in the records of the gateways after they stopped, and the requests they served while recording. */
  recordsWritten: number
  recordsExpected: number
}

/** One measured slot: requests per second, and the gateway's CPU time per request. */
interface Slot {
  rps: number
  cpuUs: number
}

interface Tally {
  requests: number
  seconds: number
  cpuMicros: number
  errors: number
  statuses: Record<number, number>
  costs: number[]
  /** The same pairs by CPU time per request. */
  cpuCosts: number[]
  /** Index in `costs` (and `cpuCosts`) where each process's pairs begin. */
  processStarts: number[]
  counted: number | undefined
  /** Requests sent between the limiter's probes (countsRequests only): what `counted` should equal. */
  countSent: number
  redisMicros: number | undefined
}

export async function measureCosts(options: CostOptions): Promise<CostReport> {
  const { variants } = options
  const plainTally = emptyTally()
  const tallies = variants.map(() => emptyTally())
  let recordsWritten = 0
  let recordsExpected = 0
  // Each process measures one variant only, so that no other variant's code shares it; the variants
  // take turns, process after process, so that the machine's drift over the run reaches all of them.
  for (let round = 0; round < options.processesPerVariant; round++) {
    for (let index = 0; index < variants.length; index++) {
      const variant = variants[index]!
      const tally = tallies[index]!
      tally.processStarts.push(tally.costs.length)
      const relay = await options.start(`costs-${round}-${index}`, options.plain)
      let expected = 0
      try {
        await measureOneProcess(options, relay, variant, tally, plainTally, (requests) => (expected += requests))
      } finally {
        await relay.service.stop()
      }
      const written = relay.recordsWritten()
      recordsWritten += written
      recordsExpected += expected
      const own = (costs: number[]) => pct(median(costs.slice(tally.processStarts.at(-1))))
      // A process whose records lack some of its requests is named, with how it stopped.
      const missing = written === expected ? '' : `; its records hold ${written} rows for ${expected} requests (exit: ${relay.service.child.exitCode ?? relay.service.child.signalCode})`
      options.progress?.(`process ${round * variants.length + index + 1}/${options.processesPerVariant * variants.length}: ${variant.name} ${own(tally.costs)} (by CPU ${own(tally.cpuCosts)})${missing}`)
    }
  }
  return {
    processesPerVariant: options.processesPerVariant,
    quads: options.quads,
    slotSeconds: options.slotMs / 1000,
    plainRps: plainTally.requests / plainTally.seconds,
    plainCpuUs: plainTally.cpuMicros / plainTally.requests,
    variants: variants.map((variant, index) => summarize(variant, tallies[index]!)),
    recordsWritten,
    recordsExpected,
  }
}

/**
 * One gateway process: warmed with the plain config and the variant, then `quads` rounds of
 * plain / variant / variant / plain slots, every slot straight after a reload and a short load
 * (a slot that came straight after another one measured the control 3-7% cheaper). Each variant
 * slot is paired with the plain slot beside it.
 */
async function measureOneProcess(
  options: CostOptions,
  relay: CostRelay,
  variant: CostVariant,
  tally: Tally,
  plainTally: Tally,
  expectRecords: (requests: number) => void,
): Promise<void> {
  const { service } = relay
  const redis = variant.usesRedis === true
  let recording = true
  // Requests sent since the limiter's remaining count was last read (counted by a working limiter).
  let sentSinceProbe = 0
  const load = async (concurrency: number, maxRequests: number, maxMs: number) => {
    const run = await options.load(service.url, concurrency, maxRequests, maxMs)
    // Every request sent while the gateway records is expected among its records.
    if (recording) expectRecords(run.requests + run.errors)
    sentSinceProbe += run.requests + run.errors
    return run
  }
  const probe = async () => {
    if (options.remaining === undefined) return NaN
    if (recording) expectRecords(1)
    const remaining = await options.remaining(service.url)
    sentSinceProbe = 0
    return remaining
  }
  const use = async (config: Record<string, unknown>, records: boolean) => {
    const before = await options.reloads(service.url)
    relay.writeConfig(config)
    await reloaded(options, service, before)
    recording = records
    // A few hundred ms of load, not counted: a new limiter or record writer starts up.
    await load(64, Infinity, 300)
  }
  const slot = async (into: Tally): Promise<Slot> => {
    // The Redis server's CPU is read around this variant's slots only.
    const readRedis = redis && into === tally
    const redisBefore = readRedis ? await options.redisCpuMicros?.() : undefined
    const cpuBefore = cpuMicros(service.pid)
    const run = await load(64, Infinity, options.slotMs)
    const cpu = cpuMicros(service.pid) - cpuBefore
    into.cpuMicros += cpu
    into.requests += run.requests
    into.seconds += run.seconds
    into.errors += run.errors
    for (const [status, count] of Object.entries(run.statuses)) into.statuses[Number(status)] = (into.statuses[Number(status)] ?? 0) + count
    if (readRedis) {
      const redisAfter = await options.redisCpuMicros?.()
      into.redisMicros = into.redisMicros === undefined || redisBefore === undefined || redisAfter === undefined ? undefined : into.redisMicros + redisAfter - redisBefore
    }
    return { rps: run.requests / run.seconds, cpuUs: cpu / run.requests }
  }
  const records = variant.recordsOff !== true
  // Warm-up: the plain config, then the variant, so that the code of both is compiled before any slot.
  await load(64, Infinity, options.warmMs)
  await load(1, 300, 10_000)
  await use(variant.config, records)
  await load(64, Infinity, options.warmMs / 2)
  await use(options.plain, true)
  let plain = await slot(plainTally)
  for (let quad = 0; quad < options.quads; quad++) {
    await use(variant.config, records)
    const remainingBefore = variant.countsRequests ? await probe() : NaN
    const first = await slot(tally)
    await use(variant.config, records)
    const second = await slot(tally)
    if (variant.countsRequests) {
      const sent = sentSinceProbe + 1
      // The drop of `remaining` between the probes: every request sent since the first, the second probe too.
      const drop = remainingBefore - (await probe())
      tally.counted = tally.counted === undefined || !Number.isFinite(drop) ? undefined : tally.counted + drop
      tally.countSent += sent
    }
    await use(options.plain, true)
    const plainAfter = await slot(plainTally)
    tally.costs.push(costOf(variant, first.rps / plain.rps), costOf(variant, second.rps / plainAfter.rps))
    // Throughput goes as the inverse of CPU per request: the plain slot's CPU over the variant's.
    tally.cpuCosts.push(costOf(variant, plain.cpuUs / first.cpuUs), costOf(variant, plainAfter.cpuUs / second.cpuUs))
    plain = plainAfter
  }
}

/** Waits until the gateway has applied a reload since `before` (the file watch), or asks for one with SIGHUP. */
async function reloaded(options: CostOptions, service: Service, before: number): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const deadline = Date.now() + 2000
    while (Date.now() < deadline) {
      await sleep(50)
      if ((await options.reloads(service.url)) > before) {
        // The watch debounces change events: let a second reload of the same file pass before measuring.
        await sleep(250)
        return
      }
    }
    service.child.kill('SIGHUP')
  }
  throw new Error('the gateway did not reload its config within 4 s')
}

function summarize(variant: CostVariant, tally: Tally): VariantCost {
  const [low, high] = medianInterval(tally.costs)
  const [cpuLow, cpuHigh] = medianInterval(tally.cpuCosts)
  const perProcess = (costs: number[]) => tally.processStarts.map((start, index) => median(costs.slice(start, tally.processStarts[index + 1] ?? costs.length)))
  return {
    name: variant.name,
    feature: variant.feature,
    costPct: median(tally.costs),
    lowPct: low,
    highPct: high,
    pairs: tally.costs.length,
    processCostsPct: perProcess(tally.costs),
    cpuCostPct: median(tally.cpuCosts),
    cpuLowPct: cpuLow,
    cpuHighPct: cpuHigh,
    processCpuCostsPct: perProcess(tally.cpuCosts),
    rps: tally.requests / tally.seconds,
    cpuUs: tally.cpuMicros / tally.requests,
    errors: tally.errors,
    statuses: tally.statuses,
    sent: tally.requests + tally.errors,
    ...(variant.countsRequests ? { counted: tally.counted, countSent: tally.countSent } : {}),
    ...(variant.usesRedis && tally.redisMicros !== undefined ? { redisServerCpuUs: tally.redisMicros / tally.requests } : {}),
  }
}

function costOf(variant: CostVariant, ratio: number): number {
  return (variant.feature === 'with' ? 1 - ratio : 1 - 1 / ratio) * 100
}

function emptyTally(): Tally {
  return { requests: 0, seconds: 0, cpuMicros: 0, errors: 0, statuses: {}, costs: [], cpuCosts: [], processStarts: [], counted: 0, countSent: 0, redisMicros: 0 }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * A 90% confidence interval for the median without assuming a distribution: the order statistics
 * n/2 ± 1.645·√n/2 (the normal approximation of the binomial), clamped to the sample.
 */
export function medianInterval(values: readonly number[]): [number, number] {
  if (values.length === 0) return [NaN, NaN]
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  const spread = (1.645 * Math.sqrt(n)) / 2
  const low = Math.max(0, Math.floor(n / 2 - spread) - 1)
  const high = Math.min(n - 1, Math.ceil(n / 2 + spread) - 1)
  return [sorted[low]!, sorted[high]!]
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

const pct = (value: number) => `${value.toFixed(1)}%`
