/**
 * Issue 3's part of `npm run bench`: a route with request-rate limits (memory and Redis counters)
 * against a route of the same gateway with none (bench/costs.ts). The limited route has one rule that
 * never refuses (a huge limit, per client), so every request is really counted against a counter, and
 * the rule's `x-ratelimit-remaining-requests` is read before and after the measured slots to show it was.
 */
import { connect } from 'node:net'
import { Redis } from 'ioredis'

/** The Redis the tests use too (issue 3: `REDIS_URL`, default `redis://127.0.0.1:6379`). */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Far above anything the bench can send in a day: the rule counts every request and refuses none. */
export const hugeLimit = '1000000000/day'

/** The `limits:` section of a limited gateway's config: one rule per client on `route`. */
export function limitsSection(backend: string, route: string): Record<string, unknown> {
  return { backend, requests: [{ limit: hugeLimit, per: 'client', route }] }
}

/** The URL without its password, for printing and the JSON. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparsable URL)'
  }
}

/** Whether a TCP connection to the Redis of `url` opens within `timeoutMs`; the reason when it does not. */
export function redisReachable(url: string, timeoutMs = 1000): Promise<{ ok: true } | { ok: false; reason: string }> {
  let host: string
  let port: number
  try {
    const parsed = new URL(url)
    host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1'
    port = parsed.port === '' ? 6379 : Number(parsed.port)
  } catch {
    return Promise.resolve({ ok: false, reason: 'unparsable URL' })
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (result: { ok: true } | { ok: false; reason: string }) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done({ ok: false, reason: `no TCP connection to ${host}:${port} within ${timeoutMs} ms` }), timeoutMs)
    socket.once('connect', () => done({ ok: true }))
    socket.once('error', (error: NodeJS.ErrnoException) => done({ ok: false, reason: `${error.code ?? error.message} connecting to ${host}:${port}` }))
  })
}

/**
 * What the limiter has left for the bench's client: one request's `x-ratelimit-remaining-requests`
 * (the request itself is counted too). NaN when the header is missing, i.e. the limit is not applied.
 */
export async function remainingRequests(gatewayUrl: string, path: string, body: string): Promise<number> {
  const response = await fetch(gatewayUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench-client' },
    body,
  })
  await response.arrayBuffer()
  const header = response.headers.get('x-ratelimit-remaining-requests')
  return response.status === 200 && header !== null ? Number(header) : NaN
}

/**
 * CPU time of the Redis server so far (INFO cpu, user + system), in microseconds. The whole server:
 * anything else using this Redis at the same time is counted too. Undefined when INFO fails.
 */
export class RedisCpu {
  private readonly client: Redis

  constructor(url: string) {
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 1000 })
    // Errors surface through the INFO calls below; an unhandled 'error' event would only add noise.
    this.client.on('error', () => {})
  }

  async micros(): Promise<number | undefined> {
    try {
      const info = await this.client.info('cpu')
      const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN)
      const seconds = field('used_cpu_user') + field('used_cpu_sys')
      return Number.isFinite(seconds) ? seconds * 1_000_000 : undefined
    } catch {
      return undefined
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.quit()
    } catch {
      this.client.disconnect()
    }
  }
}
