import type { Dispatcher } from 'undici'
import { ClientDirectory } from './access/client-keys.js'
import { IpAccess } from './access/ip-access.js'
import type { Config } from './config/schema.js'
import type { Logger } from './log.js'
import { HealthBook } from './routing/health.js'
import { RouteTable } from './routing/route-table.js'
import { createDispatcher } from './upstream/client.js'

/** Everything a request needs, built once from one config. A request keeps the one it started with. */
export interface Runtime {
  readonly config: Readonly<Config>
  readonly routes: RouteTable
  readonly clients: ClientDirectory
  readonly ip: IpAccess
  readonly dispatcher: Dispatcher
  readonly health: HealthBook
  readonly logger: Logger
  /** The Access-Control-Allow-Origin value, or undefined when CORS is off. */
  readonly corsOrigin: string | undefined
}

/**
 * Holds the current Runtime. A reload builds and checks a complete new one, then swaps one
 * reference: requests in flight finish on the runtime they started with.
 */
export class RuntimeHolder {
  current: Runtime
  private dispatcherKey: string

  constructor(config: Readonly<Config>, logger: Logger) {
    const health = new HealthBook(config.failover.cooldown)
    this.dispatcherKey = dispatcherKeyOf(config)
    this.current = build(config, logger, health, createDispatcher({ connectTimeout: config.timeouts.connect, proxy: config.proxy }))
  }

  swap(config: Readonly<Config>): void {
    const previous = this.current
    const key = dispatcherKeyOf(config)
    let dispatcher = previous.dispatcher
    if (key !== this.dispatcherKey) {
      dispatcher = createDispatcher({ connectTimeout: config.timeouts.connect, proxy: config.proxy })
      // close() lets requests in flight on the old dispatcher finish first.
      void previous.dispatcher.close().catch((error: unknown) => previous.logger.warn({ err: error }, 'closing the previous upstream pool failed'))
      this.dispatcherKey = key
    }
    previous.health.policy = config.failover.cooldown
    this.current = build(config, previous.logger, previous.health, dispatcher)
  }

  async close(): Promise<void> {
    await this.current.dispatcher.close()
  }
}

function build(config: Readonly<Config>, logger: Logger, health: HealthBook, dispatcher: Dispatcher): Runtime {
  return {
    config,
    routes: new RouteTable(config),
    clients: new ClientDirectory(config),
    ip: new IpAccess(config),
    dispatcher,
    health,
    logger,
    corsOrigin: config.server.cors.enabled ? config.server.cors.origin : undefined,
  }
}

function dispatcherKeyOf(config: Readonly<Config>): string {
  return `${config.proxy ?? ''} ${config.timeouts.connect}`
}
