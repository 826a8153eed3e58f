import { availableParallelism } from 'node:os'
import { startPrimary } from '../cluster/primary.js'
import { loadConfig } from '../config/load.js'
import { startGateway } from '../main.js'
import { renderBanner } from './banner.js'
import { version } from './version.js'

export interface RunFlags {
  config?: string
  host?: string
  port?: string
  dataDir?: string
  webui?: boolean
  adminPort?: string
  workers?: string
}

export async function runCommand(flags: RunFlags): Promise<void> {
  const port = portFlag('--port', flags.port)
  const adminPort = portFlag('--admin-port', flags.adminPort)
  const workersFlag = flags.workers === undefined ? undefined : workersOf(flags.workers)
  const options = {
    ...(flags.config !== undefined ? { file: flags.config } : {}),
    overrides: {
      ...(flags.host !== undefined ? { host: flags.host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
      ...(flags.webui === true ? { webui: true } : {}),
      ...(adminPort !== undefined ? { adminPort } : {}),
      ...(workersFlag !== undefined ? { workers: workersFlag } : {}),
    },
    handleSignals: true,
  }
  const setting = loadConfig(options).config.server.workers
  const workers = setting === 'auto' ? availableParallelism() : setting
  if (workers > 1) {
    const gateway = await startPrimary(options, workers)
    console.log(renderBanner(gateway.loaded, gateway.ready.url, version, gateway.ready.admin, workers))
    return
  }
  const gateway = await startGateway(options)
  console.log(renderBanner(gateway.loaded, gateway.url, version, gateway.admin, 1))
}

function portFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const port = Number(text)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name}: expected a port number 0-65535 (got ${text})`)
  return port
}

function workersOf(text: string): number | 'auto' {
  if (text === 'auto') return 'auto'
  const workers = Number(text)
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new Error(`--workers: expected a number 1-256 or auto (got ${text})`)
  return workers
}
