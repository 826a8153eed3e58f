import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from '../../chat/request.js'
import { settleExtra } from '../fields.js'

type Json = Record<string, unknown>

/**
 * A canonical chat request written as OpenAI's chat completions body, for a client that speaks
 * another dialect (Anthropic Messages, Responses) reaching an OpenAI-compatible upstream. A stream
 * always asks for its usage (translation.md §9.6) when the upstream takes stream_options: the client's
 * dialect reports usage at its end, and nothing else gives the real count. Reasoning a client sends
 * back is not: OpenAI-compatible servers refuse it or read it as text.
 */
export function chatCompletionsBody(chat: ChatRequest, askUsage: boolean, dropped: string[]): Json {
  const body: Json = { model: chat.model, messages: chat.messages.map(message) }
  if (chat.stream) {
    body.stream = true
    if (askUsage) body.stream_options = { include_usage: true }
  }
  if (chat.maxTokens !== undefined) body.max_tokens = chat.maxTokens
  if (chat.temperature !== undefined) body.temperature = chat.temperature
  if (chat.topP !== undefined) body.top_p = chat.topP
  if (chat.stop !== undefined && chat.stop.length > 0) body.stop = chat.stop
  if (chat.n !== undefined) body.n = chat.n
  if (chat.tools !== undefined && chat.tools.length > 0) {
    body.tools = chat.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, ...(tool.description !== undefined && { description: tool.description }), parameters: tool.parameters ?? { type: 'object', properties: {} }, ...(tool.strict !== undefined && { strict: tool.strict }) },
    }))
    if (chat.toolChoice !== undefined) body.tool_choice = toolChoice(chat.toolChoice)
    if (chat.parallelToolCalls !== undefined) body.parallel_tool_calls = chat.parallelToolCalls
  }
  const format = chat.responseFormat
  if (format !== undefined) {
    body.response_format = format.type === 'json_schema' ? { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, ...(format.strict !== undefined && { strict: format.strict }) } } : { type: format.type }
  }
  if (chat.reasoningEffort !== undefined) body.reasoning_effort = chat.reasoningEffort
  if (chat.user !== undefined) body.user = chat.user
  // Other dialects' fields with a chat completions name (Responses' text.verbosity) go on; the rest (Anthropic's top_k, which OpenAI refuses) are named as dropped.
  for (const [field, value] of Object.entries(settleExtra('openai', chat, chatFields, dropped))) if (!(field in body)) body[field] = value
  return body
}

/** Fields of `extra` that chat completions take as they are. */
const chatFields: ReadonlySet<string> = new Set(['verbosity', 'seed', 'logit_bias', 'logprobs', 'top_logprobs', 'presence_penalty', 'frequency_penalty', 'service_tier', 'store', 'metadata', 'prediction', 'modalities', 'audio', 'web_search_options'])

function toolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } }
}

function message(message: ChatMessage): Json {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.text }
    case 'user':
      return { role: 'user', content: content(message.content), ...(message.name !== undefined && { name: message.name }) }
    case 'tool':
      // Every OpenAI-compatible server takes a tool result as text; separate text blocks stay apart.
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content.every((part) => part.type === 'text') ? message.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n') : content(message.content) }
    case 'assistant': {
      const text = message.content.map((part) => part.text).join('')
      const out: Json = { role: 'assistant', content: text === '' && message.toolCalls.length > 0 ? null : text }
      if (message.toolCalls.length > 0) out.tool_calls = message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }))
      return out
    }
  }
}

/** One text as a string (every OpenAI-compatible server takes that); parts otherwise, so that separate blocks stay separate. */
function content(parts: readonly ContentPart[]): string | Json[] {
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text
  if (parts.length === 0) return ''
  return parts.map((part) => {
    if (part.type === 'text') return { type: 'text', text: part.text }
    if (part.type === 'image') return { type: 'image_url', image_url: { url: part.url, ...(part.detail !== undefined && { detail: part.detail }) } }
    return part.value
  })
}
