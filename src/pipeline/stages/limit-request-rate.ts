import { RelayError } from '../../errors.js'
import type { MatchedWindows } from '../../limits/limit-rules.js'
import { rateHeaders } from '../../limits/rate-headers.js'
import { limitsBackendFailed } from '../../limits/backend-failure.js'
import { answersImmediately, type ConsumeResult } from '../../storage/types.js'
import type { RelayContext } from '../context.js'

/**
 * Counts the request against every rule it matches, all or nothing, before any upstream is asked:
 * over a limit → 429 naming it, with Retry-After and OpenAI's x-ratelimit-* headers; admitted answers
 * carry the same headers. A counter backend that fails applies limits.onBackendError.
 */
export function limitRequestRate(ctx: RelayContext): undefined | Promise<undefined> {
  const limits = ctx.runtime.limits
  if (limits === undefined) return
  const request = limits.requests.windowsFor(ctx)
  if (request.windows.length === 0) return
  const { store } = limits
  // The memory store answers at once: no promise, no extra tick per request on the hot path.
  if (answersImmediately(store)) {
    let result: ConsumeResult
    try {
      result = store.consumeNow(request.windows, 1, limits.config.strategy)
    } catch (error) {
      return limitsBackendFailed(limits, error)
    }
    return decide(ctx, request, result)
  }
  return store.consume(request.windows, 1, limits.config.strategy).then(
    (result) => {
      limits.watch.succeeded()
      return decide(ctx, request, result)
    },
    (error: unknown) => limitsBackendFailed(limits, error),
  )
}

function decide(ctx: RelayContext, request: MatchedWindows, result: ConsumeResult): undefined {
  const headers = rateHeaders('requests', result.states)
  if (result.admitted) {
    ctx.addResponseHeaders(headers)
    return
  }
  ctx.runtime.metrics.rateLimited.inc({ kind: 'requests' })
  const refusing = result.states.findIndex((state) => state.remaining < 1)
  const limit = request.limits[refusing === -1 ? 0 : refusing]!
  throw new RelayError('RELAY_ERR_RATE_LIMITED', `Rate limit exceeded: ${limit.text}`, {
    headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))) },
  })
}
