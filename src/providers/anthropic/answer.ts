import type { AnswerListener, TokenUsage } from '../../answers/listener.js'
import { isObject, tokenCount } from '../decode.js'
import type { Completion } from '../decode.js'

/**
 * Anthropic's answers in the answer stream's terms (translation.md §2, §7.2, §7.3): content blocks
 * to text, reasoning and tool calls; stop reasons to OpenAI's finish reasons; usage with cache reads
 * and writes counted into the prompt, as OpenAI counts them.
 */

const finishReasons: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
}

/** A stop reason as OpenAI's finish reason; a turn that called tools finished with tool_calls, whatever the upstream said. */
export function finishReason(stopReason: unknown, calledTools: boolean): string {
  if (calledTools) return 'tool_calls'
  return (typeof stopReason === 'string' ? finishReasons[stopReason] : undefined) ?? 'stop'
}

/** Anthropic's usage: input_tokens excludes cache reads and writes, which OpenAI's prompt_tokens include. */
export function usageOf(usage: Record<string, unknown>): TokenUsage {
  const cacheRead = tokenCount(usage.cache_read_input_tokens)
  const cacheWrite = tokenCount(usage.cache_creation_input_tokens)
  const prompt = tokenCount(usage.input_tokens) + cacheRead + cacheWrite
  const completion = tokenCount(usage.output_tokens)
  const result: TokenUsage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion }
  if (usage.cache_read_input_tokens !== undefined) result.cachedTokens = cacheRead
  if (usage.cache_creation_input_tokens !== undefined) result.cacheWriteTokens = cacheWrite
  const details = usage.output_tokens_details
  if (isObject(details) && typeof details.thinking_tokens === 'number') result.reasoningTokens = details.thinking_tokens
  return result
}

/** A whole `message` answer. */
export function readMessage(message: unknown, listener: AnswerListener): Completion {
  if (!isObject(message) || !Array.isArray(message.content)) return 'incomplete'
  listener.start({ id: typeof message.id === 'string' ? message.id : '', model: typeof message.model === 'string' ? message.model : '', created: Math.floor(Date.now() / 1000) })
  let calls = 0
  for (const block of message.content) {
    if (!isObject(block)) continue
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') listener.text(0, block.text)
    else if (block.type === 'thinking' && typeof block.thinking === 'string') listener.reasoning(0, block.thinking)
    else if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
      listener.toolCall(0, calls, block.id, block.name)
      listener.toolArguments(0, calls, JSON.stringify(block.input ?? {}))
      calls++
    }
  }
  listener.finish(0, finishReason(message.stop_reason, calls > 0))
  if (isObject(message.usage)) listener.usage(usageOf(message.usage))
  return 'complete'
}
