import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { OutboundHeaders } from '../providers/index.js'

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded; host
 * and content-length are set by the upstream client for the new connection and body.
 */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
])

/**
 * Never sent upstream: the client's address (a provider has no need of it) and the gateway's
 * own control headers.
 */
const gatewayOnly = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'forwarded'])

/** With keepHeaders off (openai-api-route's default) only these pass, besides auth. */
function isEssential(name: string): boolean {
  return name === 'content-type' || name === 'accept' || name.startsWith('openai-')
}

export interface OutboundHeaderOptions {
  keepHeaders: boolean
  /** On openai routes the answer may be read (usage, cache, records), so it must not be compressed. */
  identityEncoding: boolean
  /** The client's credential headers, when the gateway sets or withholds the upstream key. */
  withhold: ReadonlySet<string> | undefined
}

export function outboundHeaders(incoming: IncomingHttpHeaders, options: OutboundHeaderOptions): OutboundHeaders {
  const out: OutboundHeaders = {}
  const connectionTokens = incoming.connection
  const listed = connectionTokens && connectionTokens !== 'keep-alive' && connectionTokens !== 'close' ? new Set(connectionTokens.toLowerCase().split(/\s*,\s*/)) : undefined
  for (const name in incoming) {
    if (hopByHop.has(name) || gatewayOnly.has(name) || name.startsWith('x-relay-')) continue
    if (listed?.has(name)) continue
    if (!options.keepHeaders && !isEssential(name) && name !== 'authorization') continue
    if (options.identityEncoding && name === 'accept-encoding') continue
    // Skipped while copying rather than deleted afterwards: a delete turns the object into a slow dictionary.
    if (options.withhold?.has(name)) continue
    out[name] = incoming[name]
  }
  return out
}

const responseHopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade'])

/** Upstream answer headers as sent to the client: hop-by-hop removed, CORS ours when enabled. */
export function clientResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  corsOrigin: string | undefined,
  requestId: string,
  /** The gateway's own headers (x-ratelimit-*), which replace the upstream's of the same name. */
  own?: Record<string, string>,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  // Headers the upstream's Connection header names are hop-by-hop too (RFC 9110 §7.6.1).
  const connection = upstream.connection
  const listed = typeof connection === 'string' && connection !== 'keep-alive' && connection !== 'close' ? new Set(connection.toLowerCase().split(/\s*,\s*/)) : undefined
  for (const name in upstream) {
    if (responseHopByHop.has(name) || listed?.has(name)) continue
    if (corsOrigin !== undefined && name.startsWith('access-control-')) continue
    out[name] = upstream[name]
  }
  if (corsOrigin !== undefined) {
    out['access-control-allow-origin'] = corsOrigin
    out['access-control-expose-headers'] = '*'
  }
  out['x-relay-request-id'] = requestId
  if (own !== undefined) Object.assign(out, own)
  return out
}
