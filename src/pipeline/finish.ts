import { saveToCache } from '../cache/save.js'
import { settleTokenReservation } from '../limits/token-quotas.js'
import type { RelayContext } from './context.js'

/**
 * The one finish step of every relayed request, whether it completed, failed or the client left.
 * Later stages of the project (records, metrics, notices) hook in here.
 */
export function finishRequest(ctx: RelayContext): void {
  if (ctx.tokenReservation !== undefined) settleTokenReservation(ctx)
  if (ctx.cacheFill !== undefined) saveToCache(ctx)
  const { outcome } = ctx
  const status = outcome.status ?? outcome.error?.status
  const logger = ctx.runtime.logger
  const failed = outcome.error !== undefined && outcome.error.status >= 500
  if (!failed && !logger.isLevelEnabled('debug')) return
  const entry = {
    requestId: ctx.id,
    method: ctx.method,
    route: ctx.route?.path,
    model: ctx.model,
    status,
    upstream: outcome.upstream,
    attempts: outcome.attempts,
    failures: outcome.failures.length > 0 ? outcome.failures.map((failure) => `${failure.upstream}:${failure.reason}`) : undefined,
    clientGone: ctx.clientGone || undefined,
    ms: Math.round((performance.now() - ctx.startedAt) * 10) / 10,
  }
  if (failed) logger.warn(entry, outcome.error?.message ?? 'request failed')
  else logger.debug(entry, 'request done')
}
