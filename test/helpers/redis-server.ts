import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import type { TestContext } from 'node:test'

/**
 * A private redis-server for tests that stop and restart Redis (the shared one must stay up).
 * Returns undefined after marking the test skipped when redis-server is not installed, or throws
 * under LLM_RELAY_REQUIRE_SERVICES=1.
 */
export function redisServerInstalled(t: TestContext): boolean {
  if (spawnSync('redis-server', ['--version']).error === undefined) return true
  if (process.env.LLM_RELAY_REQUIRE_SERVICES === '1') throw new Error('redis-server is not installed (LLM_RELAY_REQUIRE_SERVICES=1)')
  t.skip('redis-server is not installed: skipped')
  return false
}

/** redis-server on `port` as a child process (nothing kept on disk), resolved once it accepts connections; killed in t.after. */
export async function startRedisServer(t: TestContext, port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  child.stdout?.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      output += chunk
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)))
  })
  return child
}
