/**
 * What a feature costs in throughput at c=64, non-stream (issues 3 and 5). One gateway process
 * serves two routes to the same mock, `/plain` and `/variant`, which differ only in the feature
 * measured (a request limit on /variant, records kept on /variant and not on /plain...). The load
 * generator sends its whole load to one route at a time, in slots of 300 ms over one pool of
 * keep-alive connections, ordered plain, plain, variant, variant, plain, plain...; each variant slot
 * is compared with the plain slot next to it.
 *
 * Why so, on this 2-core VM where a gateway's throughput moves by ±15% from one second to the next
 * and two processes of one build differ by up to ±10% for their whole life:
 * - both sides of a pair run in the same process, a few hundred ms apart, so the process and the
 *   machine's drift cancel;
 * - both routes stay warm all along: nothing is reloaded or reoptimized between slots;
 * - slots are short, so a minute gives about eighty pairs.
 * A design that switched one process between two configs by reload, in slots of 1.5 s, gave 90%
 * intervals 20 to 60 points wide for 24 pairs; this one, on the same machine on the same day (see
 * README), 2 to 3 points for a control of 230 pairs. Pairs plain / variant / variant / plain, where
 * every plain slot came right after a switch of route, measured that control at -0.8% with its 90%
 * interval below zero: hence each pair here has one slot after a switch and one not, by turns.
 *
 * The cost is the median over all pairs, with a distribution-free 90% interval (which assumes
 * independent pairs: the per-process medians show how far that holds); the same pairs are also
 * judged by the gateway's CPU time per request; a "control" variant whose two routes are the same
 * shows what a cost of zero looks like here.
 */
import type { Pool } from 'undici'
import type { LoadResult } from './load.js'
import { cpuMicros, type Service } from './processes.js'

/** The two routes of every gateway the costs bench starts. */
export const costRoutes = { plain: '/plain', variant: '/variant' } as const
type Side = keyof typeof costRoutes

export interface CostVariant {
  name: string
  /** The gateway's whole config: routes costRoutes.plain and costRoutes.variant, the feature on the latter. */
  config: Record<string, unknown>
  /** Read the limiter's remaining count (on the variant route) around the measured slots, to show it counted every request. */
  countsRequests?: boolean
  /** Read the Redis server's CPU around this variant's slots. */
  usesRedis?: boolean
  /** The routes whose requests are recorded (expected in the SQLite records). */
  recorded: readonly Side[]
  /**
   * Unmeasured load on the plain route when it takes over from the variant's, in ms (default: as
   * every slot's lead). Records are written in batches, the last one of a slot up to the writer's
   * flush interval (1 s) later: that work belongs to the variant's slot, not to the plain one after it.
   */
  leadAfterVariantMs?: number
}

/** A gateway in its own process. */
export interface CostRelay {
  service: Service
  /** After the process stopped: the rows in its SQLite records. */
  recordsWritten(): number
}

export interface CostOptions {
  variants: CostVariant[]
  /** Gateway processes per variant, the variants taking turns; each measures its variant for `measureMs`. */
  processesPerVariant: number
  measureMs: number
  slotMs: number
  /** Unmeasured load on a slot's route before the slot: the connections' first requests to it. */
  leadMs: number
  /** Load on each route before any slot, so that the code of both is compiled. */
  warmMs: number
  start: (name: string, config: Record<string, unknown>) => Promise<CostRelay>
  /** A pool of 64 keep-alive connections to the gateway, used for all its slots. */
  pool: (url: string) => Pool
  load: (pool: Pool, url: string, path: string, maxMs: number) => Promise<LoadResult>
  /** The limiter's remaining count for the bench's client on `path`, NaN when absent. */
  remaining?: (url: string, path: string) => Promise<number>
  redisCpuMicros?: () => Promise<number | undefined>
  /** Called after each process with a one-line summary, so a long run shows progress. */
  progress?: (line: string) => void
}

export interface VariantCost {
  name: string
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
   * requests per second: the throughput a CPU-bound process would lose.
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
  /** Requests sent to the variant route while it counted them: `counted` should be this. */
  countSent?: number
  /** The Redis server's CPU per request of this variant (usesRedis only; the whole server). */
  redisServerCpuUs?: number
}

export interface CostReport {
  processesPerVariant: number
  measureSeconds: number
  slotSeconds: number
  plainRps: number
  plainCpuUs: number
  variants: VariantCost[]
  /** Rows found in the records of the gateways after they stopped, and the requests they served on recorded routes. */
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
  /** Requests sent to the variant route between the limiter's probes (countsRequests only): what `counted` should equal. */
  countSent: number
  redisMicros: number | undefined
}

export async function measureCosts(options: CostOptions): Promise<CostReport> {
  const { variants } = options
  const plainTally = emptyTally()
  const tallies = variants.map(() => emptyTally())
  let recordsWritten = 0
  let recordsExpected = 0
  // The variants take turns, process after process, so that the machine's drift over the run reaches all of them.
  for (let round = 0; round < options.processesPerVariant; round++) {
    for (let index = 0; index < variants.length; index++) {
      const variant = variants[index]!
      const tally = tallies[index]!
      tally.processStarts.push(tally.costs.length)
      const relay = await options.start(`costs-${round}-${index}`, variant.config)
      let expected = 0
      try {
        await measureOneProcess(options, relay.service, variant, tally, plainTally, (requests) => (expected += requests))
      } finally {
        await relay.service.stop()
      }
      const written = relay.recordsWritten()
      recordsWritten += written
      recordsExpected += expected
      const own = (costs: number[]) => pct(median(costs.slice(tally.processStarts.at(-1))))
      // A process whose records lack some of its requests is named, with how it stopped and what it logged.
      const missing =
        written === expected
          ? ''
          : `; its records hold ${written} rows for ${expected} requests (exit: ${relay.service.child.exitCode ?? relay.service.child.signalCode}); it logged:\n${warnings(relay.service.output())}`
      options.progress?.(`process ${round * variants.length + index + 1}/${options.processesPerVariant * variants.length}: ${variant.name} ${own(tally.costs)} (by CPU ${own(tally.cpuCosts)})${missing}`)
    }
  }
  return {
    processesPerVariant: options.processesPerVariant,
    measureSeconds: options.measureMs / 1000,
    slotSeconds: options.slotMs / 1000,
    plainRps: plainTally.requests / plainTally.seconds,
    plainCpuUs: plainTally.cpuMicros / plainTally.requests,
    variants: variants.map((variant, index) => summarize(variant, tallies[index]!)),
    recordsWritten,
    recordsExpected,
  }
}

/**
 * One gateway process: both routes warmed, then slots plain / plain / variant / variant / plain...
 * for `measureMs`, each variant slot paired with the plain slot beside it.
 */
async function measureOneProcess(
  options: CostOptions,
  service: Service,
  variant: CostVariant,
  tally: Tally,
  plainTally: Tally,
  expectRecords: (requests: number) => void,
): Promise<void> {
  const pool = options.pool(service.url)
  const pathOf = (side: Side) => `${costRoutes[side]}/v1/chat/completions`
  const recorded = (side: Side) => variant.recorded.includes(side)
  // Requests sent to the variant route since the limiter's remaining count was last read.
  let variantSent = 0
  const load = async (side: Side, maxMs: number) => {
    const run = await options.load(pool, service.url, pathOf(side), maxMs)
    const sent = run.requests + run.errors
    if (recorded(side)) expectRecords(sent)
    if (side === 'variant') variantSent += sent
    return run
  }
  const probe = async () => {
    if (options.remaining === undefined) return NaN
    if (recorded('variant')) expectRecords(1)
    const remaining = await options.remaining(service.url, pathOf('variant'))
    variantSent = 0
    return remaining
  }
  const slot = async (side: Side, into: Tally, switched: boolean): Promise<Slot> => {
    await load(side, side === 'plain' && switched ? (variant.leadAfterVariantMs ?? options.leadMs) : options.leadMs)
    // The Redis server's CPU is read around this variant's slots only.
    const readRedis = variant.usesRedis === true && side === 'variant'
    const redisBefore = readRedis ? await options.redisCpuMicros?.() : undefined
    const cpuBefore = cpuMicros(service.pid)
    const run = await load(side, options.slotMs)
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
  try {
    await load('plain', options.warmMs)
    await load('variant', options.warmMs)
    const remainingBefore = variant.countsRequests ? await probe() : NaN
    const end = performance.now() + options.measureMs
    // Slots plain, plain, variant, variant, plain, plain...: each pair is a slot that follows a switch
    // of route beside one that does not, the switch on the plain side and the variant side in turn.
    await slot('plain', plainTally, true)
    let plain = await slot('plain', plainTally, false)
    while (performance.now() < end) {
      const first = await slot('variant', tally, true)
      const second = await slot('variant', tally, false)
      const plainAfter = await slot('plain', plainTally, true)
      tally.costs.push(cost(first.rps / plain.rps), cost(second.rps / plainAfter.rps))
      // Throughput goes as the inverse of CPU per request: the plain slot's CPU over the variant's.
      tally.cpuCosts.push(cost(plain.cpuUs / first.cpuUs), cost(plainAfter.cpuUs / second.cpuUs))
      plain = await slot('plain', plainTally, false)
    }
    if (variant.countsRequests) {
      // The second probe is counted too.
      const sent = variantSent + 1
      const drop = remainingBefore - (await probe())
      tally.counted = tally.counted === undefined || !Number.isFinite(drop) ? undefined : tally.counted + drop
      tally.countSent += sent
    }
  } finally {
    await pool.close()
  }
}

function summarize(variant: CostVariant, tally: Tally): VariantCost {
  const [low, high] = medianInterval(tally.costs)
  const [cpuLow, cpuHigh] = medianInterval(tally.cpuCosts)
  const perProcess = (costs: number[]) => tally.processStarts.map((start, index) => median(costs.slice(start, tally.processStarts[index + 1] ?? costs.length)))
  return {
    name: variant.name,
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

/** A pair's ratio (variant over plain) as a cost in percent. */
function cost(ratio: number): number {
  return (1 - ratio) * 100
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

/** The lines a gateway logged at warn level or above (pino's level >= 40), or its last lines when none. */
function warnings(output: string): string {
  const lines = output.split('\n').filter((line) => line !== '')
  const warned = lines.filter((line) => /"level":[4-6]\d/.test(line))
  return (warned.length > 0 ? warned : lines.slice(-10)).join('\n')
}

const pct = (value: number) => `${value.toFixed(1)}%`
