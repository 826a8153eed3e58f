import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Resources } from './harness.js'

/**
 * A private PostgreSQL server for a soak item that stops and restarts it (the shared one on 5432 must
 * stay up): initdb into a temp dir, the postmaster as a child process on 127.0.0.1 only, its unix
 * socket in the temp dir. Run as the `postgres` user when we are root (initdb and postgres refuse root).
 */
export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/relay */
  url: string
  /**
   * Stops it as a crash would: SIGQUIT to the postmaster, which is `pg_ctl stop -m immediate` (every
   * connection cut, no checkpoint; crash recovery on the next start). Resolves once it is gone.
   */
  kill(): Promise<void>
  /** Starts it again on the same data directory and port; resolves once it accepts connections (after recovery). */
  start(): Promise<void>
  /** One statement on a connection of its own (none is kept across a kill). */
  query<Row extends pg.QueryResultRow>(sql: string): Promise<Row[]>
}

interface Installation {
  bin: string
  /** The user to run as, when we are root. */
  user?: { uid: number; gid: number }
}

/** Where initdb and postgres are and who runs them, or why they cannot run here. */
export function postgresInstallation(): Installation | string {
  const bin = binDir()
  if (bin === undefined) return 'PostgreSQL server binaries (initdb, postgres) are not installed'
  if (process.getuid?.() !== 0) return { bin }
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' })
  const uid = id('-u')
  const gid = id('-g')
  if (uid.status !== 0 || gid.status !== 0) return 'running as root and there is no postgres user to run PostgreSQL as'
  return { bin, user: { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } }
}

/** Debian's /usr/lib/postgresql/<newest>/bin, else pg_config's bindir, else the PATH's. */
function binDir(): string | undefined {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))
  const debian = '/usr/lib/postgresql'
  const versions = existsSync(debian) ? readdirSync(debian).sort((a, b) => Number(b) - Number(a)) : []
  const candidates = [...versions.map((version) => join(debian, version, 'bin'))]
  const configured = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  if (configured.status === 0) candidates.push(configured.stdout.trim())
  candidates.push(...(process.env.PATH ?? '').split(':').filter(Boolean))
  return candidates.find(has)
}

/** initdb and a first start on `port`; the process and the temp dir go with `resources`. */
export async function startPrivatePostgres(resources: Resources, installation: Installation, port: number): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-soak-pg-'))
  resources.add(() => rmSync(dir, { recursive: true, force: true }))
  const { bin, user } = installation
  if (user !== undefined) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const options = { cwd: dir, ...user, encoding: 'utf8' as const }
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'], options)
  if (init.status !== 0) throw new Error(`initdb failed (${init.status ?? init.error?.message}): ${init.stderr}`)

  let child: ChildProcess | undefined
  const stop = async (signal: NodeJS.Signals) => {
    const running = child
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill(signal)
    // The postmaster waits for its backends; SIGKILL only if it does not end (its backends then follow it).
    const force = setTimeout(() => running.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(force)
  }
  resources.add(() => stop('SIGQUIT'))

  const start = async () => {
    const argv = ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=20']
    const started = spawn(join(bin, 'postgres'), argv, { cwd: dir, ...user, stdio: ['ignore', 'ignore', 'pipe'] })
    child = started
    let output = ''
    started.stderr?.setEncoding('utf8')
    await new Promise<void>((resolve, reject) => {
      // Kept read to the end: a full pipe would block the server's logging.
      started.stderr?.on('data', (chunk: string) => {
        output = (output + chunk).slice(-8000)
        if (output.includes('database system is ready to accept connections')) resolve()
      })
      started.once('exit', (code, signal) => reject(new Error(`postgres exited (${code ?? signal}): ${output}`)))
      started.once('error', reject)
    })
  }

  const query = async <Row extends pg.QueryResultRow>(sql: string, database = 'relay'): Promise<Row[]> => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database, connectionTimeoutMillis: 10_000 })
    await client.connect()
    try {
      return (await client.query<Row>(sql)).rows
    } finally {
      await client.end()
    }
  }

  await start()
  await query('CREATE DATABASE relay', 'postgres')
  return {
    url: `postgres://postgres@127.0.0.1:${port}/relay`,
    kill: () => stop('SIGQUIT'),
    start,
    query: (sql) => query(sql),
  }
}
