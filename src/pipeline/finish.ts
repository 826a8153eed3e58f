import { finalUsage } from '../answers/final-usage.js'
import type { RelayErrorCode } from '../errors.js'
import { saveToCache } from '../cache/save.js'
import { settleTokenReservation } from '../limits/token-quotas.js'
import { buildRecord } from '../records/build.js'
import type { RequestRecord } from '../records/record.js'
import type { RelayContext } from './context.js'
import { requestSettled, type RequestSettledMessage } from './lifecycle.js'
import { recordLevelOf } from './stages/prepare-record.js'

/**
 * The one finish step of every relayed request, whether it completed, failed or the client left:
 * token quotas settled, the cache filled, metrics counted, the record queued (and handed to whoever
 * watches the request: pipeline/watch.ts), notices sent, the log line written. It never throws: a
 * bug in one of these must not take the process down with an unhandled rejection while it serves
 * everyone else.
 */
export function finishRequest(ctx: RelayContext): void {
  try {
    finish(ctx)
  } catch (error) {
    ctx.runtime.logger.error({ err: error, requestId: ctx.id }, 'finishing a request failed')
  }
}

function finish(ctx: RelayContext): void {
  const { metrics } = ctx.runtime
  metrics.requestsInFlight.dec()
  const usage = finalUsage(ctx)
  const settling = ctx.tokenReservation !== undefined ? settleTokenReservation(ctx, usage) : undefined
  const storing = ctx.cacheFill !== undefined ? saveToCache(ctx) : undefined
  metrics.observer.finished(ctx)
  // A cache hit cost no tokens: its usage is the original answer's, kept in its record only.
  if (usage !== undefined && ctx.cacheStatus !== 'HIT') metrics.observer.tokens(ctx.route.path, ctx.model, usage.promptTokens, usage.completionTokens)
  const records = ctx.runtime.records
  let record: RequestRecord | undefined
  // Requests refused before the record was prepared (404, IP rules, a bad body) get their level here.
  if (records !== undefined) {
    ctx.recordLevel ??= recordLevelOf(ctx)
    if (ctx.recordLevel !== 'none') records.writer.push((record = buildRecord(ctx, usage)))
  }
  const watch = ctx.runtime.requestWatch
  if (watch.size > 0) watch.finished(ctx.id, () => record ?? buildRecord(ctx, usage))
  if (ctx.runtime.notices !== undefined) noticeFailure(ctx)
  if (requestSettled.hasSubscribers) announceSettled(ctx, settling, storing)
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

/** The failures that are the upstreams' doing, not the client's: every attempt failed, or an answer broke off. */
const noticedErrors: ReadonlySet<RelayErrorCode> = new Set<RelayErrorCode>([
  'RELAY_ERR_UPSTREAM_FAILED',
  'RELAY_ERR_UPSTREAM_TIMEOUT',
  'RELAY_ERR_UPSTREAMS_RATE_LIMITED',
  'RELAY_ERR_UPSTREAM_OVERLOADED',
  'RELAY_ERR_UPSTREAM_STREAM_BROKEN',
])

function noticeFailure(ctx: RelayContext): void {
  const error = ctx.outcome.error
  if (error === undefined || !noticedErrors.has(error.code) || ctx.clientGone) return
  ctx.runtime.notices?.notify({
    kind: 'request-failed',
    time: Date.now(),
    ...(ctx.route !== undefined && { route: ctx.route.path }),
    ...(ctx.outcome.upstream !== undefined && { upstream: ctx.outcome.upstream }),
    ...(ctx.model !== undefined && { model: ctx.model }),
    status: ctx.outcome.status ?? error.status,
    reason: error.message,
    requestId: ctx.id,
  })
}

/** Publishes the request as settled once its token settlement and cache store (if any) are done. */
function announceSettled(ctx: RelayContext, settling: Promise<void> | undefined, storing: Promise<void> | undefined): void {
  const message: RequestSettledMessage = {
    id: ctx.id,
    gateway: ctx.runtime.metrics,
    status: ctx.outcome.status ?? ctx.outcome.error?.status,
    route: ctx.route?.path,
    cache: ctx.cacheStatus,
  }
  if (settling === undefined && storing === undefined) requestSettled.publish(message)
  else void Promise.allSettled([settling, storing]).then(() => requestSettled.publish(message))
}
