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
}

export interface StartCliOptions {
  cwd: string
  /** Added to a clean environment (PATH and HOME only): nothing of ours (PORT, LLM_RELAY_*, …) leaks into the child. */
  env?: Record<string, string>
  /** bin: `node bin/llm-relay.js` (the package's bin, on the built dist/); src: the CLI's main() from src/ through tsx, no build needed. */
  entry: 'bin' | 'src'
}

function entryArgs(entry: StartCliOptions['entry']): string[] {
  if (entry === 'bin') return [bin]
  const code = `import(${JSON.stringify(cliEntry)}).then((cli) => cli.main(['node', 'llm-relay', ...process.argv.slice(1)]))`
  return ['--import', tsx, '-e', code, '--']
}

/** The CLI in a child process, stdout and stderr captured; stopped in t.after (SIGTERM, then SIGKILL after 3 s). */
export function startCli(t: TestContext, args: string[], options: StartCliOptions): Cli {
  const child = spawn(process.execPath, [...entryArgs(options.entry), ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
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
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000)
    await exit
    clearTimeout(killer)
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    output: () => all,
    exit,
    async waitFor(pattern, timeoutMs = 10_000) {
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
