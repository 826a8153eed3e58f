import type { AssembledCompletion } from '../../answers/chat-assembler.js'
import type { TokenUsage } from '../../answers/listener.js'
import type { PlainAnswerOptions } from '../types.js'
import { messageUsage, stopReason } from './ending.js'
import { answerId, toolUseId } from './ids.js'
import { isObject, type Json } from '../fields.js'

/**
 * One whole answer as Anthropic's `message` (translation.md §6a "Response"): thinking first (with
 * no signature: the reasoning is not Anthropic's), then text only when there is some, then the
 * tool calls with their arguments parsed. Choice 0 only: Anthropic has no choices.
 */
export function plainMessage(completion: AssembledCompletion, options: PlainAnswerOptions): string {
  const choice = completion.choices.find((candidate) => candidate.index === 0) ?? completion.choices[0]
  const content: Json[] = []
  const message = choice?.message
  if (message?.reasoning_content) content.push({ type: 'thinking', thinking: message.reasoning_content, signature: '' })
  if (message?.content) content.push({ type: 'text', text: message.content })
  if (message?.refusal) content.push({ type: 'text', text: message.refusal })
  const calls = message?.tool_calls ?? []
  for (const call of calls) content.push({ type: 'tool_use', id: toolUseId(call.id), name: call.function.name, input: inputOf(call.function.arguments) })
  return JSON.stringify({
    id: answerId(completion.id),
    type: 'message',
    role: 'assistant',
    model: options.model ?? completion.model,
    content,
    stop_reason: stopReason(choice?.finish_reason, calls.length > 0),
    stop_sequence: null,
    // Without the upstream's usage there is no estimate here: zeros say "unknown" rather than a guess.
    usage: messageUsage(tokenUsage(completion.usage), 0),
  })
}

/** Arguments as tool_use input, which must be an object: text that is not a JSON object (or none) is `{}`. */
function inputOf(text: string): Json {
  try {
    const value: unknown = JSON.parse(text)
    return isObject(value) ? value : {}
  } catch {
    return {}
  }
}

/** OpenAI's usage object back in TokenUsage terms. */
function tokenUsage(usage: Record<string, unknown> | null): TokenUsage | undefined {
  if (usage === null || typeof usage.prompt_tokens !== 'number') return undefined
  const completion = typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0
  const details = usage.prompt_tokens_details
  const cached = isObject(details) && typeof details.cached_tokens === 'number' ? details.cached_tokens : undefined
  return { promptTokens: usage.prompt_tokens, completionTokens: completion, totalTokens: usage.prompt_tokens + completion, ...(cached !== undefined && { cachedTokens: cached }) }
}
