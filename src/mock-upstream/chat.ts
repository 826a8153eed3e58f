import { jsonTextAnswer, SSE_DONE, type Answer, type EndpointInput } from './answer.js'
import { includeUsage, isJsonObject, modelOf, positiveInteger, unixSeconds, type JsonObject } from './json-body.js'
import { STREAM_BROKEN } from './openai-error.js'
import { planAnswer, type AnswerPlan } from './plan.js'
import { completionText, contentPieces, estimateTokens, perChunkCount, textLength, usageJson } from './text.js'

// This is every benchmark's hot path, so plain text answers are assembled from JSON fragments (the
// constant ones built once per chunk count) rather than by JSON.stringify of a fresh object tree,
// which costs about three times as much. Anything else (tools, stop, max_tokens, reasoning, cached
// tokens, a broken stream) is rendered from the shared answer plan (plan.ts). Field order follows OpenAI's.

function choice(delta: object, finishReason: string | null): string {
  return `{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}`
}

const CHAT_STREAM_BROKEN = `data: ${JSON.stringify({ error: STREAM_BROKEN })}\n\n`
const ROLE_CHOICE = choice({ role: 'assistant', content: '', refusal: null }, null)
const STOP_CHOICE = choice({}, 'stop')
const contentChoices = perChunkCount((chunks) => contentPieces(chunks).map((piece) => choice({ content: piece }, null)))
const textMessage = perChunkCount((chunks) => JSON.stringify({ role: 'assistant', content: completionText(chunks), refusal: null }))

/** POST …/chat/completions: text, or tool calls when the request offers tools. */
export function chatAnswer(input: EndpointInput): Answer {
  const { id, body, behaviour } = input
  const model = modelOf(body)
  if (typeof model !== 'string') return model
  const promptChars = messagesLength(body.messages)
  // Everything up to the choices array; the caller closes it.
  const head = (object: string): string =>
    `{"id":"chatcmpl-mock-${id}","object":"${object}","created":${unixSeconds()},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[`
  const tools = toolNames(body)
  const maxTokens = maxTokensOf(body)
  const plain = tools.length === 0 && body.stop === undefined && (maxTokens === undefined || maxTokens >= behaviour.chunks) && !behaviour.reasoning && behaviour.cachedTokens === 0 && !behaviour.streamError
  if (!plain) return fromPlan(planAnswer({ id, behaviour, promptChars, tools, toolChoice: toolChoiceOf(body), maxTokens, stop: stopOf(body) }), head, body, behaviour.usage)

  const { chunks } = behaviour
  const usage = usageJson(estimateTokens(promptChars), chunks)
  if (body.stream !== true) {
    const usageField = behaviour.usage ? `,"usage":${usage}` : ''
    return jsonTextAnswer(200, `${head('chat.completion')}{"index":0,"message":${textMessage(chunks)},"logprobs":null,"finish_reason":"stop"}]${usageField}}`)
  }
  // As OpenAI does: with include_usage every chunk carries `usage: null` and a last chunk with
  // `choices: []` carries the totals.
  const withUsage = behaviour.usage && includeUsage(body)
  const prefix = `data: ${head('chat.completion.chunk')}`
  const suffix = withUsage ? '],"usage":null}\n\n' : ']}\n\n'
  const events: string[] = [prefix + ROLE_CHOICE + suffix]
  for (const content of contentChoices(chunks)) events.push(prefix + content + suffix)
  events.push(prefix + STOP_CHOICE + suffix)
  if (withUsage) events.push(`${prefix}],"usage":${usage}}\n\n`)
  events.push(SSE_DONE)
  return { kind: 'sse', events, truncateAt: 1 + Math.floor(chunks / 2) }
}

/** OpenAI's usage object with its details. */
function planUsage(plan: AnswerPlan): object {
  const { prompt, completion, cached, reasoning } = plan.usage
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  }
}

function fromPlan(plan: AnswerPlan, head: (object: string) => string, body: JsonObject, usage: boolean): Answer {
  const calls = plan.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }))
  if (body.stream !== true) {
    const message = {
      role: 'assistant',
      content: plan.content.length > 0 ? plan.content.join('') : calls.length > 0 ? null : '',
      refusal: null,
      ...(plan.reasoning.length > 0 && { reasoning_content: plan.reasoning.join('') }),
      ...(calls.length > 0 && { tool_calls: calls }),
    }
    const usageField = usage ? `,"usage":${JSON.stringify(planUsage(plan))}` : ''
    return jsonTextAnswer(200, `${head('chat.completion')}{"index":0,"message":${JSON.stringify(message)},"logprobs":null,"finish_reason":"${plan.finish}"}]${usageField}}`)
  }
  const withUsage = usage && includeUsage(body)
  const prefix = `data: ${head('chat.completion.chunk')}`
  const suffix = withUsage ? '],"usage":null}\n\n' : ']}\n\n'
  const events: string[] = [prefix + choice({ role: 'assistant', content: calls.length > 0 ? null : '', refusal: null }, null) + suffix]
  for (const piece of plan.reasoning) events.push(prefix + choice({ reasoning_content: piece }, null) + suffix)
  for (const piece of plan.content) events.push(prefix + choice({ content: piece }, null) + suffix)
  plan.toolCalls.forEach((call, index) => {
    events.push(prefix + choice({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null) + suffix)
    for (const piece of call.pieces) events.push(prefix + choice({ tool_calls: [{ index, function: { arguments: piece } }] }, null) + suffix)
  })
  const middle = Math.max(1, Math.floor(events.length / 2))
  events.push(prefix + choice({}, plan.finish) + suffix)
  if (withUsage) events.push(`${prefix}],"usage":${JSON.stringify(planUsage(plan))}}\n\n`)
  events.push(SSE_DONE)
  return { kind: 'sse', events, truncateAt: middle, errorAt: middle, errorEvent: CHAT_STREAM_BROKEN }
}

function messagesLength(messages: unknown): number {
  if (!Array.isArray(messages)) return 0
  let total = 0
  for (const message of messages) if (isJsonObject(message)) total += textLength(message.content)
  return total
}

/** The names of the function tools offered, in order. */
function toolNames(body: JsonObject): string[] {
  if (!Array.isArray(body.tools)) return []
  return body.tools.map((tool: unknown) => (isJsonObject(tool) && isJsonObject(tool.function) && typeof tool.function.name === 'string' ? tool.function.name : 'tool'))
}

/** The tool `tool_choice` names; 'none' when it forbids tools. */
function toolChoiceOf(body: JsonObject): string | undefined {
  const chosen = body.tool_choice
  if (chosen === 'none') return 'none'
  return isJsonObject(chosen) && isJsonObject(chosen.function) && typeof chosen.function.name === 'string' ? chosen.function.name : undefined
}

function maxTokensOf(body: JsonObject): number | undefined {
  return positiveInteger(body.max_completion_tokens ?? body.max_tokens)
}

function stopOf(body: JsonObject): string[] | undefined {
  if (typeof body.stop === 'string') return [body.stop]
  return Array.isArray(body.stop) ? body.stop.filter((stop: unknown): stop is string => typeof stop === 'string') : undefined
}
