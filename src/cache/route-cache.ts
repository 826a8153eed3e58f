import type { Config, RouteConfig } from '../config/schema.js'
import { underPrefix } from '../http/pathname.js'
import type { Endpoint } from '../routing/endpoint.js'

/** A route's cache settings, resolved once per config. */
export interface RouteCache {
  mode: 'opt-in' | 'always'
  scope: 'client' | 'shared'
  ttlMs: number
  /** Paths after the route prefix (whole segments); undefined = the route type's default. */
  paths: readonly string[] | undefined
}

/**
 * On openai routes the endpoints whose answers depend only on the request: chat, completions,
 * embeddings, and the other dialects' chats (Anthropic messages, Responses), which are kept as the
 * client got them (signatures and ids included) and replayed byte for byte.
 */
const cachedEndpoints: ReadonlySet<Endpoint> = new Set(['chat', 'completions', 'embeddings', 'messages', 'responses'])

export function compileRouteCache(route: RouteConfig, config: Readonly<Config>): RouteCache | undefined {
  const cache = route.cache
  if (cache === undefined || cache.mode === 'off') return undefined
  return { mode: cache.mode, scope: cache.scope, ttlMs: cache.ttl ?? config.cache.ttl, paths: cache.paths }
}

/** The request path after the route prefix, without the query: what `paths` are matched against. */
export function pathUnderRoute(routePath: string, pathname: string): string {
  return routePath === '/' ? pathname : pathname.slice(routePath.length) || '/'
}

/**
 * Whether an answer to this request may be cached at all: GET or POST, a path the route caches
 * (`rest` is the path after the route prefix, without the query), and on openai routes a JSON body.
 */
export function cachesRequest(cache: RouteCache, type: RouteConfig['type'], method: string, rest: string, endpoint: Endpoint, hasJson: boolean): boolean {
  if (method !== 'POST' && method !== 'GET') return false
  if (cache.paths !== undefined) return cache.paths.some((path) => underPrefix(rest, path)) && (type === 'general' || hasJson)
  if (type === 'general') return true
  return hasJson && method === 'POST' && cachedEndpoints.has(endpoint)
}
