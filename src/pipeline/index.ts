import type { Stage } from './run.js'
import { answerPreflight } from './stages/answer-preflight.js'
import { askStreamUsage } from './stages/ask-stream-usage.js'
import { checkModelAccess } from './stages/check-model-access.js'
import { countTokens } from './stages/count-tokens.js'
import { forwardWithFailover } from './stages/forward.js'
import { identifyClient } from './stages/identify-client.js'
import { limitRequestRate } from './stages/limit-request-rate.js'
import { limitTokenQuota } from './stages/limit-token-quota.js'
import { pickCandidates } from './stages/pick-candidates.js'
import { prepareRecord } from './stages/prepare-record.js'
import { readRequest } from './stages/read-request.js'
import { selectRoute } from './stages/select-route.js'
import { serveFromCache } from './stages/serve-from-cache.js'

/**
 * The request story, in order. Request ids, IP allow/deny and reading the body (bounded) run before
 * it, in the relay listener (http/relay-handler.ts), since they apply before any stage does.
 *
 * What the order is relied on for: readRequest sets the model and the JSON every later stage reads;
 * prepareRecord, serveFromCache and limitTokenQuota each ask for the usage meter (ctx.needUsage()), and
 * askStreamUsage, after all three, asks a stream for its usage only when one of them did; stages add
 * answer headers (ctx.addResponseHeaders()), none replaces another's.
 */
export const relayStages: readonly Stage[] = [
  answerPreflight, //    OPTIONS preflight → 204, never forwarded
  selectRoute, //        path → route (404), no dot segments (400)
  identifyClient, //     Authorization → forward key, client token or anonymous
  readRequest, //        model and stream from the body (400 on bad JSON or field types)
  prepareRecord, //      what the record keeps: none, meta (tokens read from the answer) or full (its text too)
  checkModelAccess, //   forward-key level model list (403)
  pickCandidates, //     token and model allow/deny → ordered upstreams (401/403/404)
  limitRequestRate, //   request-rate rules, all or nothing (429 naming the limit)
  countTokens, //        Anthropic's count_tokens: upstreams that count, else the gateway's own count
  serveFromCache, //     a cached answer → replayed here (HIT); else MISS/BYPASS, stored at the finish
  limitTokenQuota, //    token quotas: reserve the estimate, settled at the finish (429 naming the quota)
  askStreamUsage, //     a stream whose usage is needed asks for it (include_usage), hidden again on the way back
  forwardWithFailover, // attempts, failover, then relay the answer as it arrives (502/504/429)
]

export { runPipeline, answered } from './run.js'
export { RelayContext } from './context.js'
