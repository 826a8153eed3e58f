import { hashToken } from '../access/client-keys.js'
import { compileRouteCache, type RouteCache } from '../cache/route-cache.js'
import type { Config, RouteConfig, UpstreamConfig } from '../config/schema.js'
import { pathnameOf, underPrefix } from '../http/pathname.js'
import { bindProvider, type UpstreamProvider } from '../providers/index.js'
import { KeyRing } from './key-ring.js'

export type AuthMode = 'key' | 'passthrough' | 'none' | 'auto'

export interface UpstreamTimeouts {
  /** Time to response headers when the request does not stream. */
  headers: number
  /** Time to response headers when it streams. */
  streamHeaders: number
  /** Longest gap between body chunks. */
  idle: number
}

/** One upstream, resolved once at load so no request merges inherited settings. */
export interface CompiledUpstream {
  /** Stable across reloads while route path, name and URL stay: health is kept under it. */
  id: string
  name: string
  origin: string
  /** The URL's path without a trailing slash; the request path after the route prefix is appended. */
  basePath: string
  /** The URL's own query (e.g. `api-version=...`) without `?`, sent with every request before the client's. */
  baseQuery: string
  /** How this upstream's API differs from OpenAI's (providers/), bound to its settings. */
  provider: UpstreamProvider
  /** The client's model → this upstream's name for it. */
  modelMap: ReadonlyMap<string, string> | undefined
  keys: KeyRing
  auth: AuthMode
  weight: number
  timeouts: UpstreamTimeouts
  allow: ReadonlySet<string> | undefined
  deny: ReadonlySet<string> | undefined
  /** Digests of the client tokens allowed here; empty = open to everyone. */
  tokenHashes: ReadonlySet<string>
  noauth: boolean
  keepHeaders: boolean
  /** May be asked for usage in streams (stream_options.include_usage). */
  streamUsage: boolean
  extraHeaders: ReadonlyArray<readonly [string, string]>
}

export interface CompiledRoute {
  path: string
  type: RouteConfig['type']
  strategy: RouteConfig['strategy']
  upstreams: readonly CompiledUpstream[]
  /** True when some upstream can only be used with a client token. */
  requiresToken: boolean
  /** True when a model allow/deny list exists, so multipart bodies need their model field read. */
  filtersModels: boolean
  /** The answer cache of this route; undefined when off. */
  cache: RouteCache | undefined
  /** What this route's records keep, when the route says (else records.level / records.chat decide). */
  records: RouteConfig['records']
}

/** The model `upstream` is asked for: the client's, renamed by the upstream's model map. */
export function upstreamModelOf(upstream: CompiledUpstream, model: string | undefined): string | undefined {
  return model === undefined ? undefined : (upstream.modelMap?.get(model) ?? model)
}

export interface RouteMatch {
  route: CompiledRoute
  /** The path after the route prefix, with the query string: what each upstream's base path gets. */
  rest: string
}

/** Routes by path prefix: longest prefix first, matching whole segments only (/gemini never matches /geminiX). */
export class RouteTable {
  readonly routes: readonly CompiledRoute[]

  constructor(config: Readonly<Config>) {
    this.routes = config.routes.map((route) => compileRoute(route, config)).sort((a, b) => b.path.length - a.path.length)
  }

  /** `pathname` is `url` without its query, when the caller has it already. */
  match(url: string, pathname = pathnameOf(url)): RouteMatch | undefined {
    for (const route of this.routes) {
      const prefix = route.path
      if (underPrefix(pathname, prefix)) return { route, rest: prefix === '/' ? url : url.slice(prefix.length) }
    }
    return undefined
  }
}

function compileRoute(route: RouteConfig, config: Readonly<Config>): CompiledRoute {
  const upstreams = route.upstreams.map((upstream, index) => compileUpstream(upstream, index, route, config))
  return {
    path: route.path,
    type: route.type,
    strategy: route.strategy,
    upstreams,
    requiresToken: upstreams.some((upstream) => !upstream.noauth && upstream.tokenHashes.size > 0),
    filtersModels: upstreams.some((upstream) => upstream.allow !== undefined || upstream.deny !== undefined),
    cache: compileRouteCache(route, config),
    records: route.records,
  }
}

function compileUpstream(upstream: UpstreamConfig, index: number, route: RouteConfig, config: Readonly<Config>): CompiledUpstream {
  const url = new URL(upstream.url)
  const name = upstream.name ?? `${url.host}#${index + 1}`
  const asis = upstream.keys.includes('asis')
  const keys = upstream.keys.filter((key) => key !== 'asis')
  const tokens = upstream.clientTokens ?? route.clientTokens ?? config.access.clientTokens
  return {
    id: `${route.path} ${name} ${url.origin}${url.pathname}`,
    name,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    baseQuery: url.search.slice(1),
    provider: bindProvider(upstream),
    modelMap: upstream.models?.map === undefined ? undefined : new Map(Object.entries(upstream.models.map)),
    keys: new KeyRing(keys),
    auth: upstream.auth ?? (asis ? 'passthrough' : keys.length > 0 ? 'key' : 'auto'),
    weight: upstream.weight,
    timeouts: {
      headers: upstream.timeout ?? route.timeout ?? config.timeouts.timeout,
      streamHeaders: upstream.streamTimeout ?? route.streamTimeout ?? config.timeouts.streamTimeout,
      idle: upstream.idleTimeout ?? route.idleTimeout ?? config.timeouts.idleTimeout,
    },
    allow: upstream.models?.allow ? new Set(upstream.models.allow) : undefined,
    deny: upstream.models?.deny ? new Set(upstream.models.deny) : undefined,
    tokenHashes: new Set(tokens.map(hashToken)),
    noauth: upstream.noauth,
    keepHeaders: upstream.keepHeaders,
    streamUsage: upstream.streamUsage,
    extraHeaders: Object.entries(upstream.headers ?? {}).map(([header, value]) => [header.toLowerCase(), value] as const),
  }
}
