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
}

export async function runCommand(flags: RunFlags): Promise<void> {
  const port = flags.port === undefined ? undefined : Number(flags.port)
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error(`--port: expected a port number 0-65535 (got ${flags.port})`)
  }
  const adminPort = flags.adminPort === undefined ? undefined : Number(flags.adminPort)
  if (adminPort !== undefined && (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65535)) {
    throw new Error(`--admin-port: expected a port number 0-65535 (got ${flags.adminPort})`)
  }
  const gateway = await startGateway({
    ...(flags.config !== undefined ? { file: flags.config } : {}),
    overrides: { ...(flags.host !== undefined ? { host: flags.host } : {}), ...(port !== undefined ? { port } : {}), ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}), ...(flags.webui === true ? { webui: true } : {}), ...(adminPort !== undefined ? { adminPort } : {}) },
    handleSignals: true,
  })
  console.log(renderBanner(gateway.loaded, gateway.url, version, gateway.admin))
}
