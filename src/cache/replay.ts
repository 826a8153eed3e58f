import type { AssembledChoice, AssembledCompletion } from '../answers/chat-assembler.js'
import { clientAskedStreamUsage } from '../answers/stream-usage.js'
import { clientResponseHeaders } from '../upstream/headers.js'
import type { RelayContext } from '../pipeline/context.js'
import type { CacheEntry } from './entry.js'

/**
 * Answers a request from a cache entry, marked `x-relay-cache: HIT` with its `age`. A chat entry
 * goes out in the shape the request asked for: a plain `chat.completion`, or an SSE stream of
 * `chat.completion.chunk`s ending with `[DONE]` (with the usage chunk when the request asked for
 * it). The usage is the original answer's: what the request would have cost.
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
    body = streamOf(entry.completion, ctx.json !== undefined && clientAskedStreamUsage(ctx.json))
  } else {
    headers['content-type'] = 'application/json'
    body = plainOf(entry.completion)
  }
  headers['content-length'] = String(Buffer.byteLength(body))
  // The record of a hit keeps the original answer's usage and text (its `cache` field says it cost nothing).
  const meter = ctx.usageMeter
  if (meter !== undefined) {
    if (entry.kind === 'chat') meter.answer(entry.completion as unknown as Record<string, unknown>)
    else if (/json/.test(entry.contentType ?? '')) {
      meter.chunk(entry.body)
      meter.end()
    }
  }
  ctx.headersAt = ctx.firstByteAt = performance.now()
  // The same request id, CORS and x-ratelimit-* headers as a relayed answer.
  ctx.response.writeHead(status, clientResponseHeaders(headers, ctx.runtime.corsOrigin, ctx.id, ctx.responseHeaders))
  ctx.response.end(body)
  ctx.outcome.status = status
  ctx.outcome.completed = true
}

function plainOf(completion: AssembledCompletion): string {
  const choices = completion.choices.map((choice) => ({ index: choice.index, message: choice.message, logprobs: null, finish_reason: choice.finish_reason }))
  return JSON.stringify({
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: completion.model,
    choices,
    usage: completion.usage,
    system_fingerprint: completion.system_fingerprint,
  })
}

/** As OpenAI streams: a role chunk, the content, each tool call (name first, then its arguments), the finish, [DONE]. */
function streamOf(completion: AssembledCompletion, withUsage: boolean): string {
  const head = `{"id":${JSON.stringify(completion.id)},"object":"chat.completion.chunk","created":${completion.created},"model":${JSON.stringify(completion.model)},"system_fingerprint":${JSON.stringify(completion.system_fingerprint)},"choices":`
  const tail = withUsage ? ',"usage":null}' : '}'
  let out = ''
  const event = (choice: AssembledChoice, delta: object, finishReason: string | null) => {
    out += `data: ${head}[${JSON.stringify({ index: choice.index, delta, logprobs: null, finish_reason: finishReason })}]${tail}\n\n`
  }
  for (const choice of completion.choices) {
    const { message } = choice
    event(choice, { role: message.role, content: message.tool_calls && message.content === null ? null : '', ...('refusal' in message && { refusal: null }) }, null)
    if (message.content) event(choice, { content: message.content }, null)
    if (message.refusal) event(choice, { refusal: message.refusal }, null)
    message.tool_calls?.forEach((call, index) => {
      event(choice, { tool_calls: [{ index, id: call.id, type: call.type, function: { name: call.function.name, arguments: '' } }] }, null)
      if (call.function.arguments !== '') event(choice, { tool_calls: [{ index, function: { arguments: call.function.arguments } }] }, null)
    })
    event(choice, {}, choice.finish_reason)
  }
  if (withUsage && completion.usage !== null) out += `data: ${head}[],"usage":${JSON.stringify(completion.usage)}}\n\n`
  return `${out}data: [DONE]\n\n`
}
