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
  const widths = [0, 1, 2, 3, 4].map((column) => Math.max(...rows.map((row) => row[column]!.length)))
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '))
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '))
  console.log(`\nllm-relay benchmark, ${report.startedAt}, node ${report.node}${report.quick ? ' (quick)' : ''}, errors: ${report.errors}\n`)
  console.log(lines.join('\n'))
  console.log('\ntargets (issue 2):')
  for (const [name, value, met] of targets(report)) console.log(`  ${met ? 'met ' : 'MISS'}  ${name}: ${value}`)
}
