/**
 * Issue 17 point 2 in one run: CPU per 20-chunk stream (chunks 10 ms apart, c=64) of the gateway, the
 * bare pass-through and nginx (when installed), the added time to a stream's first byte at c=64
 * against the mock itself, and a plain request's CPU against the bare pass-through's, all with the
 * gateway's default config (records on). Rounds rotate the order so drift hits every side alike.
 */
import { cpuMicros, type Service } from './processes.js'
import { percentile, runLoad } from './load.js'
import { table } from './report.js'

export interface StreamSide {
  name: string
  streams: number
  errors: number
  cpuUsPerStream: number
  ttfbP50Ms: number
  addedTtfbP50Ms: number
  cpuUsPerPlainRequest: number
}

export interface StreamsReport {
  rounds: number
  sides: StreamSide[]
  /** The gateway's CPU per stream over nginx's, when nginx ran. */
  streamCpuToNginx: number | undefined
  streamCpuToReference: number
  plainCpuToReference: number
  addedTtfbP50Ms: number
}

const chatPath = '/v1/chat/completions'
const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }], mock: { chunks: 20, chunkDelayMs: 10 } })
const plainBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] })

export async function measureStreams(direct: Service, targets: Record<string, Service>, scale: number): Promise<StreamsReport> {
  const names = Object.keys(targets)
  const all = { direct, ...targets }
  const sides = new Map(Object.keys(all).map((name) => [name, { streams: 0, errors: 0, cpu: 0, firstByte: [] as number[], plain: 0, plainCpu: 0 }]))
  const load = (url: string, body: string, ms: number, timeFirstByte: boolean) => runLoad({ url, path: chatPath, body, concurrency: 64, maxRequests: Infinity, maxMs: ms, timeFirstByte })
  for (const service of Object.values(all)) {
    await load(service.url, plainBody, 2000 * scale, false)
    await load(service.url, streamBody, 4000 * scale, true)
  }
  const order = ['direct', ...names]
  const rounds = 3
  for (let round = 0; round < rounds; round++) {
    for (let slot = 0; slot < order.length; slot++) {
      const name = order[(round + slot) % order.length]!
      const service = all[name as keyof typeof all]!
      const side = sides.get(name)!
      let before = cpuMicros(service.pid)
      const streamed = await load(service.url, streamBody, 4000 * scale, true)
      side.cpu += cpuMicros(service.pid) - before
      side.streams += streamed.requests
      side.errors += streamed.errors
      side.firstByte.push(...streamed.firstByte)
      before = cpuMicros(service.pid)
      const plain = await load(service.url, plainBody, 3000 * scale, false)
      side.plainCpu += cpuMicros(service.pid) - before
      side.plain += plain.requests
      side.errors += plain.errors
    }
  }
  const directTtfb = percentile(sides.get('direct')!.firstByte, 50)
  const report: StreamSide[] = [...sides].map(([name, side]) => ({
    name,
    streams: side.streams,
    errors: side.errors,
    cpuUsPerStream: side.cpu / Math.max(1, side.streams),
    ttfbP50Ms: percentile(side.firstByte, 50),
    addedTtfbP50Ms: percentile(side.firstByte, 50) - directTtfb,
    cpuUsPerPlainRequest: side.plainCpu / Math.max(1, side.plain),
  }))
  const of = (name: string) => report.find((side) => side.name === name)
  const relay = of('llm-relay')!
  const reference = of('bare pass-through')!
  const nginx = of('nginx')
  return {
    rounds,
    sides: report,
    streamCpuToNginx: nginx === undefined ? undefined : relay.cpuUsPerStream / nginx.cpuUsPerStream,
    streamCpuToReference: relay.cpuUsPerStream / reference.cpuUsPerStream,
    plainCpuToReference: relay.cpuUsPerPlainRequest / reference.cpuUsPerPlainRequest,
    addedTtfbP50Ms: relay.addedTtfbP50Ms,
  }
}

export function printStreams(report: StreamsReport): void {
  const rows = [
    ['side', 'CPU per 20-chunk stream', 'stream TTFB p50 (added)', 'CPU per plain request', 'errors'],
    ...report.sides.map((side) => [
      side.name === 'direct' ? 'the mock itself' : side.name,
      `${side.cpuUsPerStream.toFixed(0)} us`,
      side.name === 'direct' ? `${side.ttfbP50Ms.toFixed(2)} ms` : `${side.ttfbP50Ms.toFixed(2)} ms (${side.addedTtfbP50Ms >= 0 ? '+' : ''}${side.addedTtfbP50Ms.toFixed(2)})`,
      `${side.cpuUsPerPlainRequest.toFixed(0)} us`,
      String(side.errors),
    ]),
  ]
  console.log(`\nLean streams (issue 17 point 2): c=64, 20 chunks 10 ms apart, ${report.rounds} rotating rounds`)
  console.log(table(rows))
  const toNginx = report.streamCpuToNginx === undefined ? 'nginx not installed' : `${report.streamCpuToNginx.toFixed(2)}x nginx (target <= 2x: ${report.streamCpuToNginx <= 2 ? 'met' : 'MISSED'})`
  console.log(`gateway CPU per stream: ${toNginx}, ${report.streamCpuToReference.toFixed(2)}x the bare pass-through`)
  console.log(`added TTFB p50 at c=64: ${report.addedTtfbP50Ms.toFixed(2)} ms (target <= 0.5 ms: ${report.addedTtfbP50Ms <= 0.5 ? 'met' : 'MISSED'})`)
  console.log(`plain request CPU: ${report.plainCpuToReference.toFixed(2)}x the bare pass-through (target <= 1.3x: ${report.plainCpuToReference <= 1.3 ? 'met' : 'MISSED'})`)
}
