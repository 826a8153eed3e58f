import type { CacheReport } from './cache.js'
import type { CostReport, VariantCost } from './costs.js'
import type { AdminRequestsReport } from './admin-requests.js'
import type { TranslationReport } from './translation.js'
import type { WorkersReport } from './workers.js'
import type { StreamsReport } from './streams.js'

export interface BenchReport {
  startedAt: string
  quick: boolean
  node: string
  latencyC1: {
    directP50: number
    directP99: number
    relayP50: number
    relayP99: number
    referenceP50: number
    referenceP99: number
    addedP50: number
    addedP99: number
    referenceAddedP50: number
    samples: number
  }
  throughputC64: { directRps: number; relayRps: number; referenceRps: number; ratio: number; referenceRatio: number }
  cpuPerRequestUs: number
  /** The bare node:http + undici pass-through (bench/reference-passthrough.ts): the floor for a Node.js gateway here. */
  referenceCpuPerRequestUs: number
  streamsC64: {
    directTtfbP50: number
    relayTtfbP50: number
    referenceTtfbP50: number
    addedTtfbP50: number
    directTotalP50: number
    relayTotalP50: number
    referenceTotalP50: number
    addedTotalP50: number
  }
  memory: { idleRssMb: number; heldStreams: number; heldStreamsRssMb: number }
  cache: CacheReport
  /** Issues 3 and 5: what limits and records cost, measured within one gateway process (bench/costs.ts). */
  costs?: CostReport
  /** Why the Redis limiter was not measured. */
  costsRedisSkipped?: string | undefined
  /** The memory limiter's own work per request, timed in-process without sockets (bench/limiter-logic.ts). */
  limiterLogicMicros?: number
  /** Failed or non-200 requests over every measured run, the limited gateways' included. */
  errors: number
  /** Issues 14 and 16: translated ways through the gateway, beside OpenAI chat to OpenAI (bench/translation.ts). */
  translation?: TranslationReport
  /** Issue 17: 1 and 2 workers side by side (bench/workers.ts). */
  workers?: WorkersReport
  /** Issue 17 point 2: CPU per stream beside the bare pass-through and nginx (bench/streams.ts). */
  streams?: StreamsReport
}

/** The targets of issue 2; each row says whether this run met it. */
function targets(report: BenchReport): Array<[string, string, boolean]> {
  return [
    ['added p50 latency at c=1', `${report.latencyC1.addedP50.toFixed(3)} ms (target < 0.3 ms; the bare pass-through adds ${report.latencyC1.referenceAddedP50.toFixed(3)} ms)`, report.latencyC1.addedP50 < 0.3],
    ['throughput at c=64 vs direct', `${report.throughputC64.ratio.toFixed(3)}x (target >= 0.15x)`, report.throughputC64.ratio >= 0.15],
    ['gateway CPU per request', `${report.cpuPerRequestUs.toFixed(0)} us (target < 200 us; bare pass-through ${report.referenceCpuPerRequestUs.toFixed(0)} us)`, report.cpuPerRequestUs < 200],
    ['added stream TTFB p50 at c=64', `${report.streamsC64.addedTtfbP50.toFixed(3)} ms (target < 1 ms; bare pass-through adds ${(report.streamsC64.referenceTtfbP50 - report.streamsC64.directTtfbP50).toFixed(3)} ms)`, report.streamsC64.addedTtfbP50 < 1],
    [`RSS holding ${report.memory.heldStreams} streams`, `${report.memory.heldStreamsRssMb.toFixed(0)} MB (target < 300 MB)`, report.memory.heldStreamsRssMb < 300],
  ]
}

const ms = (value: number) => `${value.toFixed(3)} ms`
const pct = (value: number) => `${value.toFixed(1)}%`

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '))
  return lines.join('\n')
}

/** The bench's own output: a table on stdout (the JSON goes under bench/results/). */
export function printReport(report: BenchReport): void {
  const { latencyC1: l, throughputC64: t, streamsC64: s, memory: m } = report
  const rows: string[][] = [
    ['measure', 'direct to mock', 'bare pass-through', 'through llm-relay', 'llm-relay vs direct'],
    ['latency p50, c=1', ms(l.directP50), ms(l.referenceP50), ms(l.relayP50), `+${ms(l.addedP50)}`],
    ['latency p99, c=1', ms(l.directP99), ms(l.referenceP99), ms(l.relayP99), `+${ms(l.addedP99)}`],
    ['requests/s, c=64', t.directRps.toFixed(0), t.referenceRps.toFixed(0), t.relayRps.toFixed(0), `${t.ratio.toFixed(3)}x`],
    ['stream TTFB p50, c=64', ms(s.directTtfbP50), ms(s.referenceTtfbP50), ms(s.relayTtfbP50), `+${ms(s.addedTtfbP50)}`],
    ['stream total p50, c=64 (20 chunks)', ms(s.directTotalP50), ms(s.referenceTotalP50), ms(s.relayTotalP50), `+${ms(s.addedTotalP50)}`],
    ['CPU per request, c=64', '', `${report.referenceCpuPerRequestUs.toFixed(0)} us`, `${report.cpuPerRequestUs.toFixed(0)} us`, ''],
    ['gateway RSS idle', '', '', `${m.idleRssMb.toFixed(0)} MB`, ''],
    [`gateway RSS, ${m.heldStreams} slow streams`, '', '', `${m.heldStreamsRssMb.toFixed(0)} MB`, ''],
  ]
  console.log(`\nllm-relay benchmark, ${report.startedAt}, node ${report.node}${report.quick ? ' (quick)' : ''}, errors: ${report.errors}\n`)
  console.log(table(rows))
  console.log('\ntargets (issue 2):')
  for (const [name, value, met] of targets(report)) console.log(`  ${met ? 'met ' : 'MISS'}  ${name}: ${value}`)
  printCache(report.cache)
  if (report.costs !== undefined) printCosts(report.costs, report)
}

/** The third table: answers from the cache against the upstream answering (issue 4). */
function printCache(cache: CacheReport): void {
  const rows = [
    ['measure', 'upstream', 'cache hit', 'ratio'],
    ['latency p50, c=1 (upstream: the mock answering in 50 ms, direct)', ms(cache.directSlowP50), ms(cache.hitP50), `${cache.speedup.toFixed(1)}x faster`],
    ['requests/s, c=64 (upstream: the gateway forwarding to the instant mock)', cache.forwardRps.toFixed(0), cache.hitRps.toFixed(0), `${cache.hitToForward.toFixed(2)}x`],
  ]
  console.log(`\ncache (issue 4): ${cache.hitsCounted} hits counted by the gateway for ${cache.hitRequests} hit requests measured, errors: ${cache.errors}\n`)
  console.log(table(rows))
  console.log('\ntargets (issue 4):')
  console.log(`  ${cache.speedup >= 3 ? 'met ' : 'MISS'}  a hit at least 3x faster than a direct call to a 50 ms upstream: ${cache.speedup.toFixed(1)}x`)
  console.log(`  ${cache.hitToForward >= 1 ? 'met ' : 'MISS'}  hit throughput at c=64 at least that of forwarding to an instant mock: ${cache.hitToForward.toFixed(2)}x`)
}

/** Each variant's target: the most it may cost, and the issue that sets it. */
const costTargets: Record<string, { pct: number; issue: number; what: string }> = {
  'memory limits': { pct: 5, issue: 3, what: 'memory limiter throughput cost at c=64' },
  'Redis limits': { pct: 25, issue: 3, what: 'Redis limiter throughput cost at c=64' },
  records: { pct: 10, issue: 5, what: 'records on (SQLite, meta) throughput cost at c=64, against a route that records nothing' },
}

function refusals(variant: VariantCost): string {
  const codes = Object.entries(variant.statuses).map(([status, count]) => `${count} x ${status}${status === '429' ? ' (refused by a limit)' : ''}`)
  const failed = variant.errors - Object.values(variant.statuses).reduce((sum, count) => sum + count, 0)
  return [String(variant.errors), ...codes, ...(failed > 0 ? [`${failed} failed`] : [])].join(', ')
}

/** The fourth table: a route with limits (issue 3) or records (issue 5) against a plain route of the same gateway. */
export function printCosts(costs: CostReport, report: Pick<BenchReport, 'costsRedisSkipped' | 'limiterLogicMicros'>): void {
  const names: Record<string, string> = { records: 'records (meta vs none)', control: 'control (two plain routes)' }
  const name = (variant: VariantCost) => names[variant.name] ?? variant.name
  const rows: string[][] = [
    ['variant (non-stream, c=64)', 'cost, median of pairs', '90% interval', 'by CPU per request', '90% interval', 'pairs', 'requests/s', 'CPU per request', 'limiter counted', 'errors / non-200'],
    ...costs.variants.map((variant) => [
      name(variant),
      pct(variant.costPct),
      `${pct(variant.lowPct)} .. ${pct(variant.highPct)}`,
      pct(variant.cpuCostPct),
      `${pct(variant.cpuLowPct)} .. ${pct(variant.cpuHighPct)}`,
      String(variant.pairs),
      variant.rps.toFixed(0),
      `${variant.cpuUs.toFixed(0)} us${variant.redisServerCpuUs === undefined ? '' : ` + Redis ${variant.redisServerCpuUs.toFixed(0)} us`}`,
      variant.counted === undefined && variant.name.includes('limits') ? '?' : variant.counted === undefined ? '' : `${variant.counted} of ${variant.countSent}`,
      refusals(variant),
    ]),
  ]
  console.log(
    `\ncosts (issues 3 and 5): each variant in ${costs.processesPerVariant} gateway processes of its own, each serving a plain route and the variant's route;` +
      ` the load on one route at a time, in slots of ${costs.slotSeconds} s (plain / plain / variant / variant / plain...) for ${costs.measureSeconds} s per process.` +
      ` The plain routes served ${costs.plainRps.toFixed(0)} requests/s at ${costs.plainCpuUs.toFixed(0)} us of CPU a request.` +
      ` Records: ${costs.recordsWritten} rows written for ${costs.recordsExpected} requests served on recorded routes.\n`,
  )
  console.log(table(rows))
  console.log(`\nmedian cost per gateway process: ${costs.variants.map((variant) => `${name(variant)} ${variant.processCostsPct.map(pct).join(' ')}`).join('; ')}`)
  console.log(`the same by CPU per request: ${costs.variants.map((variant) => `${name(variant)} ${variant.processCpuCostsPct.map(pct).join(' ')}`).join('; ')}`)
  if (costs.recordsWritten !== costs.recordsExpected) console.log(`WARNING: the records hold ${costs.recordsWritten} rows for ${costs.recordsExpected} recorded requests`)
  for (const variant of costs.variants) {
    if (variant.counted !== undefined && variant.counted !== variant.countSent) {
      console.log(`WARNING: the ${variant.name} counted ${variant.counted} of ${variant.countSent} requests: its figures are not those of a working limiter`)
    }
  }
  console.log('\ntargets (issues 3 and 5; met when the median is below the target, shown when the whole 90% interval is):')
  for (const variant of costs.variants) {
    const target = costTargets[variant.name]
    if (target === undefined) continue
    const verdict = variant.highPct < target.pct ? 'met ' : variant.costPct < target.pct ? 'met*' : 'MISS'
    console.log(`  ${verdict}  issue ${target.issue}: ${target.what}: ${pct(variant.costPct)} (90% interval ${pct(variant.lowPct)} .. ${pct(variant.highPct)}; target < ${target.pct}%)`)
  }
  if (report.costsRedisSkipped !== undefined) console.log(`  skip  issue 3: Redis limiter: ${report.costsRedisSkipped}`)
  console.log('  (met* = the median is below the target but the 90% interval reaches past it: more rounds would tell)')
  if (report.limiterLogicMicros !== undefined) {
    console.log(`  the memory limiter's own work (in-process, no sockets): ${report.limiterLogicMicros.toFixed(2)} us a request, ${pct((report.limiterLogicMicros / costs.plainCpuUs) * 100)} of the plain gateway's CPU per request`)
  }
}

/** Issues 14 and 16: what each translated way costs beside relaying OpenAI chat to OpenAI, in one gateway. */
export function printTranslation(report: TranslationReport): void {
  const sides = Object.values(report.sides)
  const rows = [
    ['measure', ...sides.map((side) => side.label)],
    ['gateway CPU per plain request, c=64', ...sides.map((side) => `${side.cpuUs.toFixed(0)} us`)],
    ['  ratio to OpenAI → OpenAI (target <= 1.5x)', ...sides.map((side) => `${side.plainCpuRatio.toFixed(2)}x`)],
    ['gateway CPU per 20-chunk stream, c=64', ...sides.map((side) => `${side.streamCpuUs.toFixed(0)} us`)],
    ['  ratio to OpenAI → OpenAI (target <= 2x)', ...sides.map((side) => `${side.streamCpuRatio.toFixed(2)}x`)],
    ['added latency p50, c=1 (vs the mock in its API)', ...sides.map((side) => ms(side.latencyC1P50 - side.directC1P50))],
    ['added stream TTFB p50, c=64', ...sides.map((side) => ms(side.ttfbP50 - side.directTtfbP50))],
    ['requests/s, c=64, plain', ...sides.map((side) => side.rps.toFixed(0))],
  ]
  console.log(`\nTranslation (issues 14, 16): ${report.pairs} slots per kind; errors ${sides.reduce((sum, side) => sum + side.errors, 0)}`)
  console.log(table(rows))
  const missed = sides.filter((side) => side.plainCpuRatio > 1.5 || side.streamCpuRatio > 2).map((side) => side.label)
  console.log(`targets: ${missed.length === 0 ? 'met on every way' : `MISSED on ${missed.join(', ')}`}`)
}

/** Issue 15's table: the first page of the admin API's request list, per filter, on a big SQLite table. */
export function printAdminRequests(report: AdminRequestsReport): void {
  const rows = [['filter', 'first page p50', 'slowest', 'rows', 'target < 300 ms'], ...report.filters.map((filter) => [filter.name, ms(filter.p50Ms), ms(filter.maxMs), String(filter.rows), filter.maxMs < 300 ? 'met' : 'MISSED'])]
  console.log(`\nAdmin request list (issue 15) on ${report.records.toLocaleString('en')} SQLite records, over HTTP`)
  console.log(`written in batches of 5,000: ${report.writeUsPerRecord.toFixed(1)} us a record`)
  console.log(table(rows))
}
