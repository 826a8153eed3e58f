import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { TestContext } from 'node:test'
import { stringify } from 'yaml'
import type { ConfigInput } from '../../src/config/schema.js'
import { createLogger } from '../../src/log.js'
import { startGateway, type Gateway } from '../../src/main.js'
import type { GatewayMetrics } from '../../src/metrics/metrics.js'
import type { RequestLifecycleMessage, RequestSettledMessage } from '../../src/pipeline/lifecycle.js'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'

export interface TestRelay extends Gateway {
  /** Everything the gateway logged, one JSON line per entry. */
  logs: string[]
  dir: string
  configFile: string
  /** Rewrites the config file (the gateway reloads on change). */
  writeConfig(config: ConfigInput | string): void
  /**
   * Resolves once every request this gateway has received is settled: finished, its tokens settled,
   * its answer stored, its record queued (the gateway's request:settled channel). Call it after the
   * client has its answers: a request's finish runs just after the client sees the end.
   */
  quiet(timeoutMs?: number): Promise<void>
  /** Every settled request so far, in order. */
  settled: RequestSettledMessage[]
}

export interface StartRelayOptions {
  env?: Record<string, string | undefined>
  logLevel?: 'debug' | 'info' | 'warn'
  /** Fail the test when the gateway logged an error (h3's test setup): default true. */
  failOnErrorLogs?: boolean
  /** Turn the admin UI and API on (`run --webui`); it always listens on a free port in tests. */
  webui?: boolean
}

/** Starts a gateway on 127.0.0.1, a free port, a temp data dir; closed (and checked) in t.after. */
export async function startRelay(t: TestContext, config: ConfigInput | string, options: StartRelayOptions = {}): Promise<TestRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-test-'))
  const configFile = join(dir, 'config.yaml')
  const writeConfig = (next: ConfigInput | string) => writeFileSync(configFile, typeof next === 'string' ? next : stringify(next))
  writeConfig(config)
  const logs: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    },
  })
  const gateway = await startGateway({
    file: configFile,
    cwd: dir,
    env: options.env ?? {},
    overrides: { host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), adminPort: 0, ...(options.webui === true && { webui: true }) },
    logger: createLogger(options.logLevel ?? 'info', sink),
  })
  t.after(async () => {
    await gateway.shutdown()
    rmSync(dir, { recursive: true, force: true })
    if (options.failOnErrorLogs !== false) {
      const errors = logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)
      if (errors.length > 0) throw new Error(`the gateway logged errors:\n${errors.join('\n')}`)
    }
  })
  const lifecycle = watchLifecycle(gateway.holder.metrics)
  t.after(() => lifecycle.stop())
  return Object.assign(gateway, { logs, dir, configFile, writeConfig, quiet: lifecycle.quiet, settled: lifecycle.settled })
}

/** Counts a gateway's started and settled requests on its diagnostics channels. */
function watchLifecycle(gateway: GatewayMetrics) {
  let started = 0
  const settled: RequestSettledMessage[] = []
  const waiters = new Set<() => void>()
  const onStart = (message: unknown) => {
    if ((message as RequestLifecycleMessage).gateway === gateway) started++
  }
  const onSettled = (message: unknown) => {
    if ((message as RequestSettledMessage).gateway !== gateway) return
    settled.push(message as RequestSettledMessage)
    for (const wake of waiters) wake()
  }
  subscribe('llm-relay:request:start', onStart)
  subscribe('llm-relay:request:settled', onSettled)
  return {
    settled,
    stop() {
      unsubscribe('llm-relay:request:start', onStart)
      unsubscribe('llm-relay:request:settled', onSettled)
    },
    quiet(timeoutMs = 10_000): Promise<void> {
      if (settled.length >= started) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`${started - settled.length} of ${started} requests still unsettled after ${timeoutMs} ms`))
        }, timeoutMs)
        const check = () => {
          if (settled.length < started) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
      })
    },
  }
}

/** Waits until `check` holds, polling; for things that happen on another socket or timer. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const start = Date.now()
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
