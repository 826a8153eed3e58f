import { jsonAskingStreamUsage, clientAskedStreamUsage, streamTakesUsageOption } from '../../answers/stream-usage.js'
import type { RelayContext } from '../context.js'

/**
 * When the answer's usage is needed (token quotas, records, the cache) and the request is a chat or completions stream
 * that does not ask for usage itself, prepares a body that does (stream_options.include_usage).
 * Upstreams that allow it (upstream.streamUsage) get that body; the relay hides what the client did
 * not ask for. Others get the client's body and their streamed text is counted instead.
 */
export function askStreamUsage(ctx: RelayContext): undefined {
  const { json } = ctx
  if (ctx.usageMeter === undefined || !ctx.stream || json === undefined) return
  if (!streamTakesUsageOption(ctx.endpoint) || clientAskedStreamUsage(json)) return
  if (!ctx.candidates.some((upstream) => upstream.streamUsage)) return
  ctx.jsonAskingUsage = jsonAskingStreamUsage(json)
  ctx.bodyAskingUsage = Buffer.from(JSON.stringify(ctx.jsonAskingUsage))
}
