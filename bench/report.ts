import type { CacheReport } from './cache.js'

/** Issue 3: the gateway with request-rate limits on (memory, Redis) against the same gateway without, non-stream at c=64. */
export interface LimitsReport {
  /** The one rule of each limited gateway: never refuses, counts every request. */
  rule: string
  rounds: number
  secondsPerRound: number
  /** The gateway without limits: the same runs as throughputC64.relayRps and cpuPerRequestUs. */
  offRps: number
  memoryRps: number
  redisRps?: number
  /** The memory limiter's own work per request, timed in-process without sockets (bench/limiter-logic.ts). */
  logicMicros?: number
  /** 1 - rps with limits / rps without, in percent: the median over rounds of each round's figure. */
  memoryCostPct: number
  redisCostPct?: number
  /** Gateway process CPU per request. */
  offCpuUs: number
  memoryCpuUs: number
  redisCpuUs?: number
  /** The Redis server's own CPU per request (INFO cpu; the whole server), not in redisCpuUs. */
  redisServerCpuUs?: number
  /** Failed or non-200 requests; `statuses` has the non-200 codes (429: a limit refused). */
  memoryErrors: number
  memoryStatuses: Record<number, number>
  redisErrors?: number
  redisStatuses?: Record<number, number>
  /** Requests sent in the rounds, and how many the limiter counted (from x-ratelimit-remaining-requests). */
  memorySent: number
  memoryCounted?: number
  redisSent?: number
  redisCounted?: number
  /** Requests/s of each round, in the order measured. */
  roundRps: Array<{ off: number; memory: number; redis?: number }>
  redisUrl: string
  /** Why the Redis variant was not measured. */
  redisSkipped?: string
}

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
  limitsC64: LimitsReport
  /** Issue 5: the gateway as configured by default (records in SQLite, level meta) against one keeping none. */
  records: { onRps: number; offRps: number; costPct: number; onCpuUs: number; offCpuUs: number; roundRps: Array<{ on: number; off: number }>; errors: number }
  cache: CacheReport
  /** Failed or non-200 requests over every measured run, the limited gateways' included. */
  errors: number
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

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '))
  return lines.join('\n')
}

/** The targets of issue 3. */
function limitTargets(limits: LimitsReport): Array<[string, string, boolean | undefined]> {
  const redis: [string, string, boolean | undefined] =
    limits.redisCostPct === undefined
      ? ['Redis limiter throughput cost at c=64', `not measured: ${limits.redisSkipped ?? 'skipped'}`, undefined]
      : ['Redis limiter throughput cost at c=64', `${pct(limits.redisCostPct)} (target < 25%)`, limits.redisCostPct < 25]
  return [['memory limiter throughput cost at c=64', `${pct(limits.memoryCostPct)} (target < 5%)`, limits.memoryCostPct < 5], redis]
}

function refusals(errors: number | undefined, statuses: Record<number, number> | undefined): string {
  if (errors === undefined) return ''
  const codes = Object.entries(statuses ?? {}).map(([status, count]) => `${count} x ${status}${status === '429' ? ' (refused by a limit)' : ''}`)
  const failed = errors - Object.values(statuses ?? {}).reduce((sum, count) => sum + count, 0)
  return [String(errors), ...codes, ...(failed > 0 ? [`${failed} failed`] : [])].join(', ')
}

/** The second table: the gateway with limits on against the same gateway with none. */
function printLimits(limits: LimitsReport): void {
  const redisOn = limits.redisRps !== undefined
  const counted = (value: number | undefined, sent: number | undefined) => (sent === undefined ? '' : `${value === undefined ? '?' : value} of ${sent}`)
  const rows: string[][] = [
    ['measure (non-stream, c=64)', 'limits off', 'memory limits', redisOn ? 'Redis limits' : 'Redis limits (skipped)'],
    ['requests/s', limits.offRps.toFixed(0), limits.memoryRps.toFixed(0), limits.redisRps?.toFixed(0) ?? ''],
    ['throughput cost vs off (median of rounds)', '', pct(limits.memoryCostPct), limits.redisCostPct === undefined ? '' : pct(limits.redisCostPct)],
    ['gateway CPU per request', `${limits.offCpuUs.toFixed(0)} us`, `${limits.memoryCpuUs.toFixed(0)} us`, limits.redisCpuUs === undefined ? '' : `${limits.redisCpuUs.toFixed(0)} us`],
    ['Redis server CPU per request', '', '', limits.redisServerCpuUs === undefined ? '' : `${limits.redisServerCpuUs.toFixed(0)} us`],
    ['requests counted by the limiter', '', counted(limits.memoryCounted, limits.memorySent), counted(limits.redisCounted, limits.redisSent)],
    ['errors / non-200', '', refusals(limits.memoryErrors, limits.memoryStatuses), refusals(limits.redisErrors, limits.redisStatuses)],
  ]
  console.log(`\nlimits (issue 3): rule ${limits.rule}, ${limits.rounds} rotating rounds of ${limits.secondsPerRound} s per variant, Redis ${limits.redisUrl}\n`)
  console.log(table(rows))
  const rounds = limits.roundRps.map((round) => [round.off, round.memory, ...(round.redis === undefined ? [] : [round.redis])].map((value) => value.toFixed(0)).join(' / '))
  console.log(`\nrequests/s per round (off / memory${redisOn ? ' / Redis' : ''}): ${rounds.join('; ')}`)
  // Every request must have been counted: a limiter that failed open (backend down or slow) would flatter its figures.
  const uncounted = (name: string, value: number | undefined, sent: number | undefined) => {
    if (sent !== undefined && value !== sent) console.log(`WARNING: the ${name} limiter counted ${value ?? 'an unknown number'} of ${sent} requests: its figures are not those of a working limiter`)
  }
  uncounted('memory', limits.memoryCounted, limits.memorySent)
  uncounted('Redis', limits.redisCounted, limits.redisSent)
  console.log('\ntargets (issue 3):')
  for (const [name, value, met] of limitTargets(limits)) console.log(`  ${met === undefined ? 'skip' : met ? 'met ' : 'MISS'}  ${name}: ${value}`)
  if (limits.logicMicros !== undefined) {
    console.log(`  the memory limiter's own work (in-process, no sockets): ${limits.logicMicros.toFixed(2)} us a request, ${pct((limits.logicMicros / limits.offCpuUs) * 100)} of the plain gateway's CPU per request`)
  }
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
  printLimits(report.limitsC64)
  printCache(report.cache)
  printRecords(report.records)
}

/** The fourth table: records on (the default) against off (issue 5). */
function printRecords(records: BenchReport['records']): void {
  const rows = [
    ['measure (non-stream, c=64)', 'records off', 'records on (SQLite, meta)'],
    ['requests/s', records.offRps.toFixed(0), records.onRps.toFixed(0)],
    ['gateway CPU per request', `${records.offCpuUs.toFixed(0)} us`, `${records.onCpuUs.toFixed(0)} us`],
  ]
  console.log(`\nrecords (issue 5): rounds (off / on): ${records.roundRps.map((round) => `${round.off.toFixed(0)} / ${round.on.toFixed(0)}`).join('; ')}, errors: ${records.errors}\n`)
  console.log(table(rows))
  console.log('\ntargets (issue 5):')
  console.log(`  ${records.costPct < 10 ? 'met ' : 'MISS'}  records on (SQLite, meta) throughput cost at c=64 (median of rounds): ${pct(records.costPct)} (target < 10%)`)
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
