import { clientScope, type ClientFacts } from '../access/client-scope.js'
import type { LimitRule } from '../config/schema.js'
import type { WindowLimit } from '../storage/types.js'
import { underPrefix } from '../http/pathname.js'
import { parseLimits, type RateLimit } from './limit-string.js'

/** What the rules read of a request (a RelayContext is one). */
export interface LimitFacts extends ClientFacts {
  readonly pathname: string
  readonly model: string | undefined
  readonly route: { readonly path: string }
}

interface CompiledRule {
  /** Stable across reloads while the rule is the same: its counters are kept. */
  id: string
  per: LimitRule['per']
  route: string | undefined
  level: number | undefined
  model: string | undefined
  limits: RateLimit[]
  /** One counter-key prefix per limit, built once here rather than per request. */
  keyPrefixes: string[]
  /**
   * What one scope counts against under this rule, made on its first request and then reused: a
   * profile of the memory limiter put 39% of its time in hashing the key string built anew for
   * every request; a reused key has its hash already.
   */
  byScope: Map<string, MatchedWindows>
}

/** The windows one request counts against, with the limit each stands for (for the 429 message and headers). Shared: never modified. */
export interface MatchedWindows {
  readonly windows: readonly WindowLimit[]
  readonly limits: readonly RateLimit[]
}

const none: MatchedWindows = { windows: [], limits: [] }

/** Scopes remembered per rule; past this the memo starts over (it only saves rebuilding keys). */
const MAX_SCOPES_PER_RULE = 10_000

/**
 * Limit rules (request-rate or token quota) compiled once per config: which rules a request matches
 * and whose counter it shares. `kind` keeps request and token counters apart in the store.
 */
export class LimitRules {
  private readonly rules: CompiledRule[]
  /** OpenAI-Forward's global_rate_limit: per client, only when no other rule matched. */
  private readonly fallback: CompiledRule | undefined

  constructor(kind: 'rq' | 'tk', rules: readonly LimitRule[], fallbackPerClient?: string) {
    this.rules = rules.map((rule) => compileRule(kind, rule)).filter((rule) => rule.limits.length > 0)
    const fallback = fallbackPerClient === undefined ? undefined : compileRule(kind, { limit: fallbackPerClient, per: 'client' }, 'fallback|')
    this.fallback = fallback !== undefined && fallback.limits.length > 0 ? fallback : undefined
  }

  get active(): boolean {
    return this.rules.length > 0 || this.fallback !== undefined
  }

  windowsFor(ctx: LimitFacts): MatchedWindows {
    // Most requests match one rule: its windows are returned as they are, without a new array.
    let first: CompiledRule | undefined
    let more: CompiledRule[] | undefined
    for (const rule of this.rules) {
      if (!matches(rule, ctx)) continue
      if (first === undefined) first = rule
      else (more ??= []).push(rule)
    }
    first ??= this.fallback
    if (first === undefined) return none
    const own = windowsOfScope(first, scopeOf(first.per, ctx))
    if (more === undefined) return own
    const windows = [...own.windows]
    const limits = [...own.limits]
    for (const rule of more) {
      const matched = windowsOfScope(rule, scopeOf(rule.per, ctx))
      windows.push(...matched.windows)
      limits.push(...matched.limits)
    }
    return { windows, limits }
  }
}

function windowsOfScope(rule: CompiledRule, scope: string): MatchedWindows {
  let matched = rule.byScope.get(scope)
  if (matched === undefined) {
    if (rule.byScope.size >= MAX_SCOPES_PER_RULE) rule.byScope.clear()
    const windows = rule.limits.map((limit, index): WindowLimit => ({ key: rule.keyPrefixes[index]! + scope, limit: limit.amount, windowMs: limit.windowMs }))
    matched = { windows, limits: rule.limits }
    rule.byScope.set(scope, matched)
  }
  return matched
}

function compileRule(kind: string, rule: Pick<LimitRule, 'limit' | 'per'> & Partial<LimitRule>, idPrefix = ''): CompiledRule {
  const id = `${idPrefix}${rule.per}|${rule.route ?? '*'}|${rule.level ?? '*'}|${rule.model ?? '*'}`
  const limits = parseLimits(rule.limit)
  return {
    id,
    per: rule.per,
    route: rule.route,
    level: rule.level,
    model: rule.model,
    limits,
    keyPrefixes: limits.map((limit) => `${kind}|${id}|${limit.amount}/${limit.windowMs}|`),
    byScope: new Map(),
  }
}

function matches(rule: CompiledRule, ctx: LimitFacts): boolean {
  if (rule.route !== undefined && !underPrefix(ctx.pathname, rule.route)) return false
  if (rule.level !== undefined && levelOf(ctx) !== rule.level) return false
  if (rule.model !== undefined && ctx.model !== rule.model) return false
  return true
}

/** Clients without a forward key count as level 0, as in OpenAI-Forward. */
export function levelOf(ctx: Pick<ClientFacts, 'identity'>): number {
  return ctx.identity.kind === 'forward-key' ? ctx.identity.level : 0
}

/** Whose counter a request shares. Never a raw token: client tokens are named by a digest fingerprint. */
function scopeOf(per: LimitRule['per'], ctx: LimitFacts): string {
  switch (per) {
    case 'global':
      return 'all'
    case 'route':
      return `route:${ctx.route.path}`
    case 'model':
      return `model:${ctx.model ?? '-'}`
    case 'ip':
      return `ip:${ctx.clientIp}`
    case 'client':
      return clientScope(ctx)
  }
}
