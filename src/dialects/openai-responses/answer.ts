import type { AssembledCompletion } from '../../answers/chat-assembler.js'
import type { TokenUsage } from '../../answers/listener.js'
import type { PlainAnswerOptions } from '../types.js'
import { isObject } from '../fields.js'
import { endingOf, functionCallItem, messageItem, outputText, randomHex, reasoningItem, refusalPart, responseId, responseObject } from './response.js'

/**
 * One whole answer as the Responses API gives it: choice 0's reasoning, text and refusal, and tool
 * calls as output items, in the order the stream writes them. openai-node adds `output_text` itself.
 */
export function plainResponse(completion: AssembledCompletion, options: PlainAnswerOptions): string {
  const choice = completion.choices.find(({ index }) => index === 0) ?? completion.choices[0]
  const base = randomHex()
  const output: object[] = []
  const { status, reason } = endingOf(choice?.finish_reason)
  const itemStatus = status === 'completed' ? 'completed' : 'incomplete'
  if (choice !== undefined) {
    const { reasoning_content: reasoning, content, refusal, tool_calls: calls } = choice.message
    if (reasoning) output.push({ ...reasoningItem(`rs_${base}${output.length}`, reasoning), status: itemStatus })
    const parts = [...(content ? [outputText(content)] : []), ...(refusal ? [refusalPart(refusal)] : [])]
    if (parts.length > 0) output.push(messageItem(`msg_${base}${output.length}`, itemStatus, parts))
    for (const call of calls ?? []) output.push(functionCallItem(`fc_${base}${output.length}`, call.id || `call_${base}${output.length}`, call.function.name, call.function.arguments, itemStatus))
  }
  const response = responseObject({
    id: responseId(completion.id),
    createdAt: completion.created,
    model: options.model ?? completion.model,
    status,
    incompleteReason: reason,
    output,
    usage: tokenUsage(completion.usage),
  })
  return JSON.stringify(response)
}

/** The assembled completion's OpenAI chat usage read back into TokenUsage. */
function tokenUsage(usage: Record<string, unknown> | null): TokenUsage | undefined {
  if (usage === null || typeof usage.prompt_tokens !== 'number') return undefined
  const completion = typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0
  const tokens: TokenUsage = { promptTokens: usage.prompt_tokens, completionTokens: completion, totalTokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : usage.prompt_tokens + completion }
  const cached = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details.cached_tokens : undefined
  if (typeof cached === 'number') tokens.cachedTokens = cached
  const reasoning = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details.reasoning_tokens : undefined
  if (typeof reasoning === 'number') tokens.reasoningTokens = reasoning
  return tokens
}
