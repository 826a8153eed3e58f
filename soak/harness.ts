/**
 * What the soak items share: the gateway in a process of its own (its RSS and its death are what is
 * measured), the shipped mock upstream in this process (its request and abort counts are read
 * directly), and the record file read as it is on disk.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { request } from 'undici'
import { stringify } from 'yaml'
import { freePort, rssMb, startService, type Service } from '../bench/processes.js'
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from '../src/mock-upstream/index.js'
import type { SoakFigure, SoakItem, SoakScale } from './types.js'

export { rssMb, freePort }

export interface SoakGateway extends Service {
  dir: string
  port: number
  /** Starts a new gateway process on the same config, port and data directory (after a kill). */
  restart(): Promise<SoakGateway>
}

/** Everything an item opened, closed in reverse order at its end. */
export class Resources {
  readonly #closers: Array<() => unknown> = []

  add(close: () => unknown): void {
    this.#closers.push(close)
  }

  async close(): Promise<void> {
    for (const close of this.#closers.reverse()) {
      try {
        await close()
      } catch {
        // the rest still close
      }
    }
  }
}

/** Runs one item and closes all it opened, whether it finished or threw. */
export async function runSoakItem(item: SoakItem, scale: SoakScale, log: (line: string) => void): Promise<SoakFigure[]> {
  const resources = new Resources()
  try {
    return await item.run(scale, log, resources)
  } finally {
    await resources.close()
  }
}

export async function startMock(resources: Resources, options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const mock = await startMockUpstream(options)
  resources.add(() => mock.close())
  return mock
}

/** `llm-relay run` (the built package's bin) with `config` in a temp dir: records go to its data dir. */
export async function startGateway(resources: Resources, config: Record<string, unknown>, args: string[] = []): Promise<SoakGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-soak-'))
  resources.add(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, stringify({ log: { level: 'warn' }, ...config }))
  const start = async (): Promise<SoakGateway> => {
    const service = await startService(['run', '--config', file, '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, 'data'), ...args], '/healthz', port)
    resources.add(() => service.stop())
    return Object.assign(service, { dir, port, restart: start })
  }
  return start()
}

/** Rows in the gateway's SQLite records (read-only, beside the running writer); 0 when the file is not there yet. */
export function recordRows(gateway: SoakGateway): number {
  try {
    const db = new Database(join(gateway.dir, 'data', 'records.sqlite'), { readonly: true, fileMustExist: true })
    try {
      return (db.prepare('SELECT count(*) AS n FROM request_records').get() as { n: number }).n
    } finally {
      db.close()
    }
  } catch {
    return 0
  }
}

/** SQLite's own check of the records file: 'ok' when it is sound. */
export function recordsIntegrity(gateway: SoakGateway): string {
  const db = new Database(join(gateway.dir, 'data', 'records.sqlite'), { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check
  } finally {
    db.close()
  }
}

/** One value of the gateway's /metrics (0 when absent); labels must all match. */
export async function metric(gateway: SoakGateway, name: string, labels: Record<string, string> = {}): Promise<number> {
  const answer = await request(`${gateway.url}/metrics`)
  const text = await answer.body.text()
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`)
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue
    if (wanted.every((pair) => line.includes(pair))) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

/** Polls `check` every 20 ms until it holds; false when `timeoutMs` passed first. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * The gateway's RSS once it holds still: the last sample (every 250 ms) once the samples of the
 * last `quietMs` lie within 1 MB of each other, or at `maxMs`. After a peak, V8 gives its heap pages
 * back in steps some seconds apart (its memory reducer), so a peak's aftermath needs a quiet window
 * longer than those steps.
 */
export async function settledRss(pid: number, { quietMs = 1000, maxMs = 5000 }: { quietMs?: number; maxMs?: number } = {}): Promise<number> {
  const window: Array<{ at: number; mb: number }> = [{ at: Date.now(), mb: rssMb(pid) }]
  const deadline = Date.now() + maxMs
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    const now = { at: Date.now(), mb: rssMb(pid) }
    window.push(now)
    while (window[0]!.at < now.at - quietMs) window.shift()
    const values = window.map((sample) => sample.mb)
    const still = now.at - window[0]!.at >= quietMs - 250 && Math.max(...values) - Math.min(...values) < 1
    if (still || now.at >= deadline) return now.mb
  }
}

/** How many files (sockets included) process `pid` has open. */
export function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

export const chatPath = '/v1/chat/completions'
export const plainBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] })
export const streamBody = (chunks: number, chunkDelayMs: number) => JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello.' }], mock: { chunks, chunkDelayMs } })

export function mb(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)} MB`
}
