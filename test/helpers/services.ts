import { connect } from 'node:net'
import type { TestContext } from 'node:test'

/**
 * The service gate (STYLE.md §6.3): tests that need Redis or PostgreSQL skip with one clear line
 * when the service is absent, and fail instead when LLM_RELAY_REQUIRE_SERVICES=1 (as in CI).
 */
/** Whether a TCP connection to the service's host and port opens within a second. */
export async function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port) || defaultPort })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

async function requireService(t: TestContext, name: string, url: string, defaultPort: number): Promise<string | undefined> {
  if (await reachable(url, defaultPort)) return url
  const message = `${name} is not reachable at ${url}`
  if (process.env.LLM_RELAY_REQUIRE_SERVICES === '1') throw new Error(`${message} (LLM_RELAY_REQUIRE_SERVICES=1)`)
  t.skip(`${message}: skipped (set ${name === 'Redis' ? 'REDIS_URL' : 'DATABASE_URL'} or start it)`)
  return undefined
}

/** The Redis URL for tests, or undefined after marking the test skipped. */
export function redisUrl(t: TestContext): Promise<string | undefined> {
  return requireService(t, 'Redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 6379)
}

/** The PostgreSQL URL for tests, or undefined after marking the test skipped. */
export function databaseUrl(t: TestContext): Promise<string | undefined> {
  return requireService(t, 'PostgreSQL', process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', 5432)
}
