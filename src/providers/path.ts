import type { UpstreamTarget } from './types.js'

/** Base path + `path` (the client's, with its query), the upstream URL's own query first, then `extraQuery`. */
export function upstreamPath(target: UpstreamTarget, path: string, extraQuery = ''): string {
  let joined = target.basePath + path
  if (joined.charCodeAt(0) !== 47 /* / */) joined = `/${joined}`
  // Most upstreams: nothing to merge.
  if (target.baseQuery === '' && extraQuery === '') return joined
  const queryStart = joined.indexOf('?')
  const pathOnly = queryStart === -1 ? joined : joined.slice(0, queryStart)
  const clientQuery = queryStart === -1 ? '' : joined.slice(queryStart + 1)
  const query = [target.baseQuery, clientQuery, extraQuery].filter((part) => part !== '').join('&')
  return query === '' ? pathOnly : `${pathOnly}?${query}`
}

/**
 * An API's base path without a trailing version segment: providers' URLs are configured as their
 * SDKs take them (`https://api.anthropic.com`), but `https://api.anthropic.com/v1` is forgiven.
 */
export function apiBase(target: UpstreamTarget, version: string): UpstreamTarget {
  return target.basePath.endsWith(version) ? { ...target, basePath: target.basePath.slice(0, -version.length) } : target
}

/**
 * The client's path (`/v1/messages?beta=true`, `/v1/responses`) turned into another endpoint of the
 * same API base (`/v1/chat/completions`): what comes before the client's endpoint is kept, its query
 * (the dialect's own) is not.
 */
export function swapEndpoint(rest: string, endpointPath: string): string {
  const query = rest.indexOf('?')
  const path = query === -1 ? rest : rest.slice(0, query)
  const base = path.replace(/\/(messages\/count_tokens|messages|responses|chat\/completions)\/?$/, '')
  return base + endpointPath
}
