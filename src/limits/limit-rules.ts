import { clientScope } from '../access/client-scope.js'
import type { LimitRule } from '../config/schema.js'
import type { RelayContext } from '../pipeline/context.js'
import type { WindowLimit } from '../storage/types.js'
import { underPrefix } from '../http/pathname.js'
import { parseLimits, type RateLimit } from './limit-string.js'

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
}

/** The windows one request counts against, with the limit each stands for (for the 429 message and headers). */
export interface MatchedWindows {
  windows: WindowLimit[]
  limits: RateLimit[]
}

const none: MatchedWindows = { windows: [], limits: [] }

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

  windowsFor(ctx: RelayContext): MatchedWindows {
    let matched: CompiledRule[] | undefined
    for (const rule of this.rules) if (matches(rule, ctx)) (matched ??= []).push(rule)
    if (matched === undefined) {
      if (this.fallback === undefined) return none
      matched = [this.fallback]
    }
    const windows: WindowLimit[] = []
    const limits: RateLimit[] = []
    for (const rule of matched) {
      const scope = scopeOf(rule.per, ctx)
      rule.limits.forEach((limit, index) => {
        windows.push({ key: rule.keyPrefixes[index]! + scope, limit: limit.amount, windowMs: limit.windowMs })
        limits.push(limit)
      })
    }
    return { windows, limits }
  }
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
  }
}

function matches(rule: CompiledRule, ctx: RelayContext): boolean {
  if (rule.route !== undefined && !underPrefix(ctx.pathname, rule.route)) return false
  if (rule.level !== undefined && levelOf(ctx) !== rule.level) return false
  if (rule.model !== undefined && ctx.model !== rule.model) return false
  return true
}

/** Clients without a forward key count as level 0, as in OpenAI-Forward. */
export function levelOf(ctx: RelayContext): number {
  return ctx.identity.kind === 'forward-key' ? ctx.identity.level : 0
}

/** Whose counter a request shares. Never a raw token: client tokens are named by a digest fingerprint. */
function scopeOf(per: LimitRule['per'], ctx: RelayContext): string {
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
