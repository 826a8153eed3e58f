import { Pool } from 'undici'

export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  /** Milliseconds per completed request, unsorted. */
  latencies: number[]
  /** Milliseconds to the first body byte (streams). */
  firstByte: number[]
  /** Answers other than 200, by status code (a 429 from a limited gateway is a refusal); `errors` also counts failed requests. */
  statuses: Record<number, number>
}

export interface LoadOptions {
  url: string
  path: string
  body: string
  concurrency: number
  /** Stop after this many requests or this many ms, whichever comes first. */
  maxRequests: number
  maxMs: number
  /** Read the body chunk by chunk and time the first one. */
  timeFirstByte?: boolean
  /** Send over this pool (its keep-alive connections) and leave it open; by default a pool of `concurrency` connections is made and closed. */
  pool?: Pool
  /** Headers added to every request (x-mock-* behaviours for APIs whose bodies cannot carry them). */
  headers?: Record<string, string>
}

const headers = { 'content-type': 'application/json', authorization: 'Bearer bench-client' }

/** A closed-loop load generator: `concurrency` workers, each sending its next request when the last one finished. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = options.pool ?? loadPool(options.url, options.concurrency)
  const latencies: number[] = []
  const firstByte: number[] = []
  let sent = 0
  let errors = 0
  const statuses: Record<number, number> = {}
  const requestHeaders = options.headers === undefined ? headers : { ...headers, ...options.headers }
  const start = performance.now()
  const deadline = start + options.maxMs
  const worker = async () => {
    while (sent < options.maxRequests && performance.now() < deadline) {
      sent++
      const begin = performance.now()
      try {
        const response = await pool.request({ path: options.path, method: 'POST', headers: requestHeaders, body: options.body })
        if (options.timeFirstByte) {
          // Events, not `for await`: an async iterator costs the load generator a promise per chunk,
          // CPU the processes under test would then lack on a 2-core machine.
          await new Promise<void>((resolve, reject) => {
            response.body.once('data', () => firstByte.push(performance.now() - begin))
            response.body.on('data', noop)
            response.body.once('end', resolve)
            response.body.once('error', reject)
          })
        } else {
          await response.body.dump({ limit: Infinity })
        }
        if (response.statusCode !== 200) {
          errors++
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1
        } else latencies.push(performance.now() - begin)
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  const seconds = (performance.now() - start) / 1000
  if (options.pool === undefined) await pool.close()
  return { requests: latencies.length, errors, seconds, latencies, firstByte, statuses }
}

/** A pool for runLoad: `connections` keep-alive connections, no pipelining, no timeouts. */
export function loadPool(url: string, connections: number): Pool {
  return new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 })
}

function noop(): void {}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}
