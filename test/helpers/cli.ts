import { spawn, type ChildProcess } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = join(root, 'bin', 'llm-relay.js')
const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
const cliEntry = pathToFileURL(join(root, 'src', 'cli', 'index.ts')).href

export interface CliExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** Date.now() when the process exited. */
  at: number
}

export interface Cli {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** stdout and stderr together, in the order they arrived. */
  output: () => string
  /** Resolves once the process has exited and its stdout and stderr are read to the end. */
  exit: Promise<CliExit>
  /** Resolves with stdout once it matches; rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Sends a signal to the CLI (to its whole process group under npx). */
  kill(signal: NodeJS.Signals): void
}

export interface StartCliOptions {
  cwd: string
  /** Added to a clean environment (PATH and HOME only): nothing of ours (PORT, LLM_RELAY_*, …) leaks into the child. */
  env?: Record<string, string>
  /**
   * bin: `node bin/llm-relay.js` (the package's bin, on the built dist/); src: the CLI's main() from
   * src/ through tsx, no build needed; npx: `npx --no-install llm-relay` in `cwd`, where the package is
   * installed (its own process group, so that the gateway under npx is stopped with it).
   */
  entry: 'bin' | 'src' | 'npx'
}

function entryCommand(entry: StartCliOptions['entry']): [string, string[]] {
  if (entry === 'npx') return ['npx', ['--no-install', 'llm-relay']]
  if (entry === 'bin') return [process.execPath, [bin]]
  const code = `import(${JSON.stringify(cliEntry)}).then((cli) => cli.main(['node', 'llm-relay', ...process.argv.slice(1)]))`
  return [process.execPath, ['--import', tsx, '-e', code, '--']]
}

/** The CLI in a child process, stdout and stderr captured; stopped in t.after (SIGTERM, then SIGKILL after 3 s). */
export function startCli(t: TestContext, args: string[], options: StartCliOptions): Cli {
  const [command, entryArgs] = entryCommand(options.entry)
  const group = options.entry === 'npx'
  const child = spawn(command, [...entryArgs, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  })
  const signal = (name: NodeJS.Signals) => (group && child.pid !== undefined ? process.kill(-child.pid, name) : child.kill(name))
  let out = ''
  let err = ''
  let all = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    all += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
    all += chunk
  })
  let exitedAt = 0
  child.once('exit', () => (exitedAt = Date.now()))
  // 'close' comes after 'exit' once stdout and stderr are drained: whoever awaits the exit sees all the output.
  const exit = new Promise<CliExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, at: exitedAt || Date.now() })))
  let exited = false
  void exit.then(() => (exited = true))
  t.after(async () => {
    if (exited || child.exitCode !== null || child.signalCode !== null) return
    signal('SIGTERM')
    const killer = setTimeout(() => signal('SIGKILL'), 3000)
    await exit
    clearTimeout(killer)
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    output: () => all,
    exit,
    kill: signal,
    async waitFor(pattern, timeoutMs = 60_000) {
      const start = Date.now()
      while (!pattern.test(out)) {
        if (exited) throw new Error(`the CLI exited before printing ${pattern}:\nstdout: ${out}\nstderr: ${err}`)
        if (Date.now() - start > timeoutMs) throw new Error(`no ${pattern} in time:\nstdout: ${out}\nstderr: ${err}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return out
    },
  }
}
