import type { IncomingHttpHeaders } from 'node:http'
import type { BodyAnswer } from '../answer.js'
import { isJsonObject, type JsonObject } from '../json-body.js'
import { textLength } from '../text.js'
import { anthropicError } from './errors.js'

// What every Messages API endpoint (messages, count_tokens) checks and counts the same way.

/** The 401 or 400 Anthropic sends for a missing key or version header; undefined when both are there. */
export function headerProblem(headers: IncomingHttpHeaders, id: number): BodyAnswer | undefined {
  if (headers['x-api-key'] === undefined && headers.authorization === undefined) return anthropicError(401, 'x-api-key header is required', id)
  if (headers['anthropic-version'] === undefined) return anthropicError(400, 'anthropic-version: header is required', id)
  return undefined
}

/** Characters of prompt text (system and every message), for the plan's prompt token count. */
export function promptChars(body: JsonObject): number {
  let total = textLength(body.system)
  if (Array.isArray(body.messages)) for (const message of body.messages) if (isJsonObject(message)) total += textLength(message.content)
  return total
}

/**
 * What the real API refuses with 400, as its message says it; `max_tokens` is required by messages,
 * not by count_tokens.
 */
export function invalid(body: JsonObject, { maxTokens }: { maxTokens: boolean }): string | undefined {
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required'
  if (maxTokens && (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1)) return 'max_tokens: Field required'
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required'
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: Input should be a valid string or list'
  let pendingToolUses: string[] = []
  for (const [index, message] of body.messages.entries()) {
    if (!isJsonObject(message) || (message.role !== 'user' && message.role !== 'assistant')) return `messages.${index}.role: Input should be 'user' or 'assistant'`
    const content = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content
    if (!Array.isArray(content)) return `messages.${index}.content: Input should be a valid list`
    if (pendingToolUses.length > 0) {
      const answered = new Set(content.filter(isJsonObject).filter((block) => block.type === 'tool_result').map((block) => block.tool_use_id))
      const missing = pendingToolUses.filter((toolUseId) => !answered.has(toolUseId))
      if (message.role !== 'user' || missing.length > 0) return `messages.${index}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(', ')}`
    }
    pendingToolUses = []
    for (const block of content) {
      if (!isJsonObject(block)) return `messages.${index}.content: Input should be a valid dictionary`
      if (block.type === 'text' && (typeof block.text !== 'string' || block.text === '')) return 'messages: text content blocks must be non-empty'
      if (block.type === 'tool_use' && typeof block.id === 'string') pendingToolUses.push(block.id)
      if (block.type === 'tool_use' && !isJsonObject(block.input)) return `messages.${index}.content: tool_use.input: Input should be a valid dictionary`
    }
  }
  return undefined
}
