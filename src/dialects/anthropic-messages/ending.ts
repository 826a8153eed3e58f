import type { TokenUsage } from '../../answers/listener.js'

/** How an answer ends in Anthropic's terms: its stop reason and usage (translation.md §7.2, §7.3). */

const stopReasons: ReadonlyMap<string, string> = new Map([
  ['stop', 'end_turn'],
  ['length', 'max_tokens'],
  ['content_filter', 'refusal'],
  ['tool_calls', 'tool_use'],
])

/**
 * OpenAI's finish reason as Anthropic's stop reason. Any tool call makes it `tool_use`, whatever the
 * upstream said: Claude Code stops working on `end_turn` after a call (Bifrost #3638).
 */
export function stopReason(finishReason: string | null | undefined, toolUsed: boolean): string {
  if (toolUsed) return 'tool_use'
  return (finishReason === null || finishReason === undefined ? undefined : stopReasons.get(finishReason)) ?? 'end_turn'
}

export interface MessageUsage {
  input_tokens: number
  output_tokens: number
  cache_read_input_tokens?: number
  cache_creation_input_tokens?: number
}

/**
 * Usage in Anthropic's terms: its input_tokens leave out the tokens read from and written to the
 * prompt cache, which OpenAI's prompt_tokens include (counting them twice is LiteLLM #11364).
 * Without usage, the prompt's estimate and no output.
 */
export function messageUsage(usage: TokenUsage | undefined, estimate: number): MessageUsage {
  if (usage === undefined) return { input_tokens: estimate, output_tokens: 0 }
  const cached = usage.cachedTokens ?? 0
  const written = usage.cacheWriteTokens ?? 0
  return {
    input_tokens: Math.max(0, usage.promptTokens - cached - written),
    output_tokens: usage.completionTokens,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: written,
  }
}
