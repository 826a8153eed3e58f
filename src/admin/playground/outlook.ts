// The dry run's words for what the relay decided: who the client is, why an upstream is left out,
// what the cache and the limits would do.

import { cachesRequest, pathUnderRoute } from '../../cache/route-cache.js'
import type { RouteConfig } from '../../config/schema.js'
import type { RelayContext } from '../../pipeline/context.js'
import type { UpstreamVerdict } from '../../routing/eligibility.js'
import type { CompiledRoute, CompiledUpstream } from '../../routing/route-table.js'

export interface ClientOutlook {
  kind: 'anonymous' | 'client-token' | 'forward-key'
  /** The key's name, or a client token's digest fingerprint (`token:…`): never the secret. */
  name: string
  level: number | null
  /** How the request names its client: the choice's label, a mask of a typed key, or `no token`. */
  label: string
  note: string | null
}

export function clientOutlook(ctx: RelayContext, label: string): ClientOutlook {
  const { identity } = ctx
  const note = identity.kind === 'anonymous' && ctx.tokenHash !== undefined ? 'the gateway did not issue this token: the request counts as anonymous and the token goes to the upstream as sent' : null
  return { kind: identity.kind, name: identity.name, level: identity.kind === 'forward-key' ? identity.level : null, label, note }
}

export type LeftOutReason = Exclude<UpstreamVerdict, 'eligible'> | 'level-model-not-allowed'

/** Why an upstream would not be tried, naming the setting that says so. */
export function whyLeftOut(ctx: RelayContext, upstream: CompiledUpstream, reason: LeftOutReason): string {
  const { model, pathname, identity } = ctx
  switch (reason) {
    case 'token-not-allowed':
      return identity.kind === 'anonymous' ? 'it takes only the client tokens listed for it (clientTokens), and the request has none of them' : 'this client token is not among those it takes (clientTokens)'
    case 'model-not-allowed':
      return model === undefined ? `its models.allow names neither a model (the request has none) nor the path ${pathname}` : `its models.allow does not list '${model}'`
    case 'model-denied':
      return `its models.deny lists '${model !== undefined && upstream.deny?.has(model) === true ? model : pathname}'`
    case 'endpoint-not-served':
      return `its provider (${upstream.provider.name}) does not serve ${ctx.method} ${pathname}`
    case 'level-model-not-allowed':
      return `the forward key's level ${identity.kind === 'forward-key' ? identity.level : 0} may not use the model '${model ?? ''}' (access.levels[].models)`
  }
}

const orders: Readonly<Record<RouteConfig['strategy'], string>> = {
  ordered: 'in the configured order; upstreams cooling down after the healthy ones',
  random: 'a new random order for every request (this is one of them); upstreams cooling down after the healthy ones',
  weighted: 'a new random order by weight for every request (this is one of them); upstreams cooling down after the healthy ones',
  'least-inflight': 'fewest requests in flight first, as they are now; upstreams cooling down after the healthy ones',
}

export function orderOf(strategy: RouteConfig['strategy']): string {
  return orders[strategy]
}

export interface CacheOutlook {
  mode: 'opt-in' | 'always'
  scope: 'client' | 'shared'
  ttlMs: number
  /** Whether this request, as it is (no caching flag, no Cache-Control), would be looked up in the cache. */
  lookup: boolean
  note: string
}

/** What the route's answer cache would do with this request (serve-from-cache.ts decides the same way); null where the route has none. */
export function cacheOutlook(ctx: RelayContext, route: CompiledRoute): CacheOutlook | null {
  const rule = route.cache
  if (rule === undefined || ctx.runtime.cache === undefined) return null
  const applies = cachesRequest(rule, route.type, ctx.method, pathUnderRoute(route.path, ctx.pathname), ctx.endpoint, ctx.json !== undefined)
  const note = !applies
    ? 'the route does not cache this request (its method, path or body)'
    : rule.mode === 'always'
      ? 'looked up unless the request says no (caching: false, x-relay-cache: false or Cache-Control: no-cache)'
      : 'looked up only when the request asks (caching: true or x-relay-cache: true)'
  return { mode: rule.mode, scope: rule.scope, ttlMs: rule.ttlMs, lookup: applies && rule.mode === 'always', note }
}

export interface LimitsOutlook {
  /** The request-rate limits this request counts against, e.g. `3 per 1 minute`. */
  requests: string[]
  /** The token quotas it counts against (only JSON bodies on openai routes count). */
  tokens: string[]
}

/** Which limits the request would count against, without counting it; null when the config limits nothing. */
export function limitsOutlook(ctx: RelayContext): LimitsOutlook | null {
  const limits = ctx.runtime.limits
  if (limits === undefined) return null
  const requests = limits.requests.windowsFor(ctx).limits.map((limit) => limit.text)
  const tokens = limits.tokens === undefined || ctx.json === undefined ? [] : limits.tokens.windowsFor(ctx).limits.map((limit) => limit.text)
  return { requests, tokens }
}
