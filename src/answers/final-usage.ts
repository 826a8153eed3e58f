import { estimatePromptTokens } from '../limits/token-count.js'
import type { RelayContext } from '../pipeline/context.js'
import type { Usage } from './usage-meter.js'

/**
 * What a finished request's answer cost, when it was read (records, quotas and the cache read it):
 * the upstream's usage, or the prompt estimate plus the counted answer. An error answer, or none,
 * has no usage. A cache hit has the original's (its record says it cost nothing upstream).
 */
export function finalUsage(ctx: RelayContext): Usage | undefined {
  const meter = ctx.usageMeter
  const status = ctx.outcome.status
  if (meter === undefined || ctx.json === undefined || status === undefined || status >= 400) return undefined
  const json = ctx.json
  // Estimated only when the answer reported no usage.
  return meter.usageOr(ctx.tokenReservation?.promptEstimate ?? (() => estimatePromptTokens(json)))
}
