import { Agent, ProxyAgent, type Dispatcher } from 'undici'
import { connectorClosingUnusedSockets } from './unused-sockets.js'

export interface DispatcherOptions {
  connectTimeout: number
  /** HTTP(S) proxy for every upstream call (OpenAI-Forward's PROXY). */
  proxy?: string | undefined
}

/**
 * One pooled keep-alive dispatcher for all upstreams (undici keeps a pool per origin inside).
 * Per-request timeouts (headers, idle) are passed on each request, since they differ by upstream
 * and by whether the request streams.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const common = {
    connect: { timeout: options.connectTimeout },
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    // Timeouts are set per request; these only stop undici's 300 s defaults from cutting long streams.
    headersTimeout: 0,
    bodyTimeout: 0,
  }
  if (options.proxy) return new ProxyAgent({ uri: options.proxy, ...common })
  return new Agent({ ...common, connect: connectorClosingUnusedSockets(common.connect) })
}
