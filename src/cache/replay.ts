import { clientAskedStreamUsage } from '../answers/stream-usage.js'
import { plainCompletion, replayCompletion, ChatStreamWriter } from '../dialects/openai-chat/write.js'
import { usageOf } from '../dialects/openai-chat/read.js'
import { OpenAIAnswerTap } from '../dialects/openai-chat/tap.js'
import { sendWholeAnswer } from '../http/respond.js'
import type { RelayContext } from '../pipeline/context.js'
import type { CacheEntry } from './entry.js'

/**
 * Answers a request from a cache entry, marked `x-relay-cache: HIT` with its `age`. A chat entry
 * goes out in the shape the request asked for: a plain `chat.completion`, or an SSE stream of
 * `chat.completion.chunk`s ending with `[DONE]` (with the usage chunk when the request asked for
 * it), written by the same writers as a translated answer. The usage is the original answer's:
 * what the request would have cost.
 */
export function replayEntry(ctx: RelayContext, entry: CacheEntry, storedAt: number): void {
  const headers: Record<string, string> = { 'x-relay-cache': 'HIT', age: String(Math.max(0, Math.floor((Date.now() - storedAt) / 1000))) }
  let status = 200
  let body: string | Buffer
  if (entry.kind === 'raw') {
    status = entry.status
    if (entry.contentType !== undefined) headers['content-type'] = entry.contentType
    body = entry.body
  } else if (ctx.stream) {
    headers['content-type'] = 'text/event-stream; charset=utf-8'
    headers['cache-control'] = 'no-cache'
    let text = ''
    const writer = new ChatStreamWriter({ write: (event) => (text += event), withUsage: ctx.json !== undefined && clientAskedStreamUsage(ctx.json) })
    replayCompletion(entry.completion, writer, usageOf(entry.completion.usage))
    writer.end()
    body = text
  } else {
    headers['content-type'] = 'application/json'
    body = plainCompletion(entry.completion)
  }
  // The record of a hit keeps the original answer's usage and text (its `cache` field says it cost nothing).
  const meter = ctx.usageMeter
  if (meter !== undefined) {
    if (entry.kind === 'chat') replayCompletion(entry.completion, meter, usageOf(entry.completion.usage))
    else if (/json/.test(entry.contentType ?? '')) {
      const tap = new OpenAIAnswerTap(meter)
      tap.chunk(entry.body)
      tap.end()
    }
  }
  // The same request id, CORS and x-ratelimit-* headers as a relayed answer.
  sendWholeAnswer(ctx, status, headers, body)
}
