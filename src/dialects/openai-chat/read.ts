import type { AnswerListener, TokenUsage } from '../../answers/listener.js'
import { isObject } from '../fields.js'

type Json = Record<string, unknown>

/**
 * OpenAI's answers read into the answer stream: chat completions and their chunks, legacy
 * completions (`text`), and the usage and text deltas of the Responses API. Fields the stream does
 * not carry are ignored; anything of the wrong type is skipped, never thrown on.
 */

export { isObject }

/** OpenAI's usage shapes: chat and completions (prompt_/completion_tokens, with details) and Responses (input_/output_tokens). */
export function usageOf(value: unknown): TokenUsage | undefined {
  if (!isObject(value)) return undefined
  const prompt = count(value.prompt_tokens) ?? count(value.input_tokens)
  if (prompt === undefined) return undefined
  const completion = count(value.completion_tokens) ?? count(value.output_tokens) ?? 0
  const usage: TokenUsage = { promptTokens: prompt, completionTokens: completion, totalTokens: count(value.total_tokens) ?? prompt + completion }
  const promptDetails = value.prompt_tokens_details ?? value.input_tokens_details
  const cached = isObject(promptDetails) ? count(promptDetails.cached_tokens) : undefined
  if (cached !== undefined) usage.cachedTokens = cached
  const completionDetails = value.completion_tokens_details ?? value.output_tokens_details
  const reasoning = isObject(completionDetails) ? count(completionDetails.reasoning_tokens) : undefined
  if (reasoning !== undefined) usage.reasoningTokens = reasoning
  return usage
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

/** The head of an answer or chunk, passed to start() once. */
function startOnce(json: Json, listener: AnswerListener, started: boolean): boolean {
  if (started) return true
  listener.start({
    id: typeof json.id === 'string' ? json.id : '',
    model: typeof json.model === 'string' ? json.model : '',
    created: typeof json.created === 'number' ? json.created : Math.floor(Date.now() / 1000),
    systemFingerprint: typeof json.system_fingerprint === 'string' ? json.system_fingerprint : null,
  })
  return true
}

/**
 * Reads streamed chunks one at a time, remembering only whether start() was called. `chunk()`
 * returns true for a usage-only chunk (`choices: []` with usage: what include_usage adds at the end).
 */
export class OpenAIChunkReader {
  private started = false

  constructor(private readonly listener: AnswerListener) {}

  chunk(json: Json): boolean {
    const { listener } = this
    const usage = usageOf(json.usage) ?? (json.type === 'response.completed' && isObject(json.response) ? usageOf(json.response.usage) : undefined)
    if (usage !== undefined) listener.usage(usage)
    // The Responses API streams text and argument deltas as `delta` strings.
    if (typeof json.delta === 'string') {
      this.started = startOnce(json, listener, this.started)
      listener.text(0, json.delta)
    }
    const { choices } = json
    if (!Array.isArray(choices)) return false
    if (choices.length > 0) this.started = startOnce(json, listener, this.started)
    for (const choice of choices) if (isObject(choice)) readChoice(choice, choice.delta, listener)
    return choices.length === 0 && usage !== undefined
  }
}

/** A whole plain answer (chat or legacy completions; a Responses answer gives its usage). */
export function readAnswer(json: Json, listener: AnswerListener): void {
  const { choices } = json
  if (Array.isArray(choices) && choices.length > 0) {
    startOnce(json, listener, false)
    for (const choice of choices) if (isObject(choice)) readChoice(choice, choice.message, listener)
  }
  const usage = usageOf(json.usage) ?? (isObject(json.response) ? usageOf(json.response.usage) : undefined)
  if (usage !== undefined) listener.usage(usage)
}

/** One choice of a chunk (its `delta`) or of a plain answer (its `message`). */
function readChoice(choice: Json, part: unknown, listener: AnswerListener): void {
  const index = typeof choice.index === 'number' ? choice.index : 0
  // Legacy completions carry `text` instead of a delta or message.
  if (typeof choice.text === 'string' && choice.text !== '') listener.text(index, choice.text)
  if (isObject(part)) {
    if (typeof part.content === 'string' && part.content !== '') listener.text(index, part.content)
    // reasoning_content: DeepSeek, vLLM, LiteLLM; reasoning: newer vLLM and OpenRouter.
    const reasoning = typeof part.reasoning_content === 'string' ? part.reasoning_content : part.reasoning
    if (typeof reasoning === 'string' && reasoning !== '') listener.reasoning(index, reasoning)
    if (typeof part.refusal === 'string' && part.refusal !== '') listener.refusal(index, part.refusal)
    if (Array.isArray(part.tool_calls)) {
      part.tool_calls.forEach((call: unknown, position: number) => {
        if (!isObject(call)) return
        const at = typeof call.index === 'number' ? call.index : position
        const fn = isObject(call.function) ? call.function : undefined
        if (typeof call.id === 'string' || typeof fn?.name === 'string') listener.toolCall(index, at, typeof call.id === 'string' ? call.id : '', typeof fn?.name === 'string' ? fn.name : '')
        if (typeof fn?.arguments === 'string' && fn.arguments !== '') listener.toolArguments(index, at, fn.arguments)
      })
    }
  }
  if (typeof choice.finish_reason === 'string') listener.finish(index, choice.finish_reason)
}
