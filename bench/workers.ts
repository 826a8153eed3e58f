/**
 * Issue 17 point 1: the gateway with 1 and with 2 workers side by side, the same plain load (c=64,
 * records on, the default config) in alternating rounds so that drift hits both alike. CPU is the
 * whole gateway's: the primary and every worker (the process tree under the started pid).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { cpuMicros, type Service } from './processes.js'
import { runLoad } from './load.js'
import { table } from './report.js'

export interface WorkersSide {
  workers: number
  requests: number
  errors: number
  seconds: number
  rps: number
  /** CPU of every process of the gateway per request. */
  cpuUsPerRequest: number
}

export interface WorkersReport {
  rounds: number
  sides: WorkersSide[]
  /** requests/s with 2 workers over requests/s with 1. */
  speedup: number
  note: string
}

const chatPath = '/v1/chat/completions'

export async function measureWorkers(start: (workers: number) => Promise<Service>, body: string, scale: number): Promise<WorkersReport> {
  const counts = [1, 2]
  const gateways = await Promise.all(counts.map((workers) => start(workers)))
  const sides = counts.map((workers) => ({ workers, requests: 0, errors: 0, seconds: 0, cpu: 0 }))
  const load = (url: string, ms: number) => runLoad({ url, path: chatPath, body, concurrency: 64, maxRequests: Infinity, maxMs: ms })
  for (const gateway of gateways) await load(gateway.url, 4000 * scale)
  const rounds = 4
  for (let round = 0; round < rounds; round++) {
    for (let slot = 0; slot < counts.length; slot++) {
      const index = (round + slot) % counts.length
      const gateway = gateways[index]!
      const side = sides[index]!
      const cpuBefore = treeCpuMicros(gateway.pid)
      const result = await load(gateway.url, 5000 * scale)
      side.cpu += treeCpuMicros(gateway.pid) - cpuBefore
      side.requests += result.requests
      side.errors += result.errors
      side.seconds += result.seconds
    }
  }
  await Promise.all(gateways.map((gateway) => gateway.stop()))
  const report = sides.map((side) => ({ workers: side.workers, requests: side.requests, errors: side.errors, seconds: side.seconds, rps: side.requests / side.seconds, cpuUsPerRequest: side.cpu / Math.max(1, side.requests) }))
  return {
    rounds,
    sides: report,
    speedup: report[1]!.rps / report[0]!.rps,
    note: 'the load generator, the mock upstream and the gateway share this machine\'s cores',
  }
}

/** CPU of a process and all its descendants so far (the primary and its workers), in microseconds. */
function treeCpuMicros(root: number): number {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(parent) ?? []
      list.push(Number(name))
      children.set(parent, list)
    } catch {
      // the process ended while the list was read
    }
  }
  let total = 0
  const pending = [root]
  while (pending.length > 0) {
    const pid = pending.pop()!
    try {
      total += cpuMicros(pid)
    } catch {
      continue
    }
    pending.push(...(children.get(pid) ?? []))
  }
  return total
}

export function printWorkers(report: WorkersReport): void {
  const rows = [
    ['workers', 'requests/s, c=64, plain', 'gateway CPU per request (all processes)', 'errors'],
    ...report.sides.map((side) => [String(side.workers), side.rps.toFixed(0), `${side.cpuUsPerRequest.toFixed(0)} us`, String(side.errors)]),
  ]
  console.log(`\nWorkers (issue 17): ${report.rounds} alternating rounds; 2 workers / 1 worker = ${report.speedup.toFixed(2)}x requests/s (${report.note})`)
  console.log(table(rows))
}
