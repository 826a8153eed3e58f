import { RelayError } from '../../errors.js'
import { limitsBackendFailed } from '../../limits/backend-failure.js'
import type { LimitRules, MatchedWindows } from '../../limits/limit-rules.js'
import { rateHeaders } from '../../limits/rate-headers.js'
import { estimatePromptTokens, loadTokenizer, maxOutputTokens, tokenizerLoaded } from '../../limits/token-count.js'
import type { LimitsRuntime } from '../../runtime.js'
import type { ConsumeResult } from '../../storage/types.js'
import type { RelayContext } from '../context.js'

/**
 * Token quotas (TPM/TPD): takes the request's estimated cost (prompt tokens by the tokenizer plus its
 * max output) from every quota it matches, all or nothing, before any upstream is asked. Over a
 * quota → 429 naming it with Retry-After and the x-ratelimit-*-tokens headers; admitted answers carry
 * the same headers, and the reservation is settled with the real usage when the request finishes.
 * Only JSON bodies on openai routes count: nothing else has tokens to estimate.
 */
export function limitTokenQuota(ctx: RelayContext): undefined | Promise<undefined> {
  const limits = ctx.runtime.limits
  const rules = limits?.tokens
  // A token count (Anthropic's count_tokens) asks for no answer: it spends no tokens.
  if (limits === undefined || rules === undefined || ctx.json === undefined || ctx.endpoint === 'count_tokens') return
  if (!tokenizerLoaded()) return loadTokenizer().then(() => reserve(ctx, limits, rules))
  return reserve(ctx, limits, rules)
}

function reserve(ctx: RelayContext, limits: LimitsRuntime, rules: LimitRules): undefined | Promise<undefined> {
  const matched = rules.windowsFor(ctx)
  if (matched.windows.length === 0) return
  const json = ctx.json!
  const promptEstimate = estimatePromptTokens(json)
  const amount = promptEstimate + maxOutputTokens(json)
  const at = Date.now()
  return limits.store.consume(matched.windows, amount, limits.config.strategy, at).then(
    (result) => {
      limits.watch.succeeded()
      decide(ctx, matched, result, amount)
      ctx.tokenReservation = { windows: matched.windows, reserved: amount, promptEstimate, at }
      // Settled with the answer's usage: whatever else reads it, the meter must be there.
      ctx.needUsage()
      return undefined
    },
    (error: unknown) => limitsBackendFailed(limits, error),
  )
}

function decide(ctx: RelayContext, matched: MatchedWindows, result: ConsumeResult, amount: number): void {
  if (result.admitted) {
    ctx.addResponseHeaders(rateHeaders('tokens', result.states))
    return
  }
  ctx.runtime.metrics.rateLimited.inc({ kind: 'tokens' })
  const headers = rateHeaders('tokens', result.states)
  const refusing = Math.max(0, result.states.findIndex((state) => state.remaining < amount))
  const limit = matched.limits[refusing]!
  if (amount > limit.amount) {
    // Waiting cannot help: the OpenAI SDK reads x-should-retry and does not retry.
    throw new RelayError('RELAY_ERR_REQUEST_TOO_LARGE', `Request too large: it needs about ${amount} tokens (prompt estimate plus max_tokens), more than the limit of ${tokensText(limit.text)}.`, {
      headers: { ...headers, 'x-should-retry': 'false' },
    })
  }
  throw new RelayError('RELAY_ERR_RATE_LIMITED', `Rate limit exceeded: ${tokensText(limit.text)} (this request needs about ${amount}).`, {
    headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))) },
  })
}

/** "1000 per 1 minute" → "1000 tokens per 1 minute". */
function tokensText(limitText: string): string {
  return limitText.replace(' per ', ' tokens per ')
}
