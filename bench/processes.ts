import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../bin/llm-relay.js', import.meta.url))

export interface Service {
  child: ChildProcess
  pid: number
  url: string
  /** What the process printed (stdout and stderr), for a report when something went wrong. */
  output(): string
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Starts `llm-relay ARGS` in its own process (so it has its own event loop and CPU accounting) and waits until it answers. */
export function startService(args: string[], healthPath: string, port: number): Promise<Service> {
  return startProcess([bin, ...args], healthPath, port)
}

/** Starts `node ARGV` and waits until it answers on `healthPath`. */
export function startProcess(argv: string[], healthPath: string, port: number): Promise<Service> {
  return startCommand(process.execPath, argv, healthPath, port)
}

/** Starts `COMMAND ARGV` and waits until it answers on `healthPath`. */
export async function startCommand(command: string, argv: string[], healthPath: string, port: number): Promise<Service> {
  const name = [command, ...argv].join(' ').slice(0, 80)
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = `http://127.0.0.1:${port}`
  const started = Date.now()
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited early:\n${output}`)
    try {
      const response = await fetch(url + healthPath)
      await response.arrayBuffer()
      if (response.status < 500) break
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 15_000) throw new Error(`${name} did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    child,
    pid: child.pid!,
    url,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        // Ended already (by an exit code, or by a signal such as a SIGKILL a soak item sent): nothing to wait for.
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5000).unref()
      }),
  }
}

const clockTicks = 100 // USER_HZ on Linux; /proc/<pid>/stat counts CPU time in these.

/** User + system CPU time of a process so far, in microseconds (from /proc: no cooperation of the process needed). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return ((utime + stime) * 1_000_000) / clockTicks
}

/** Resident set size of a process, in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match ? Number(match[1]) / 1024 : NaN
}
