import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from '../../chat/request.js'
import { refuseChoices, settleExtra, unsupported } from '../fields.js'
import { argumentsObject } from '../decode.js'

type Json = Record<string, unknown>

/** Fields of `extra` Anthropic takes as they are (clients reaching Anthropic through an OpenAI SDK send them in extra_body). */
const takenExtra: ReadonlySet<string> = new Set(['top_k', 'thinking'])

/** reasoning_effort → a thinking budget in tokens (Anthropic's minimum is 1024). */
const thinkingBudget: Record<string, number> = { low: 1024, medium: 4096, high: 16_384 }

/**
 * A chat request as an Anthropic Messages request (translation.md §2, §7.1): system messages to
 * `system`, tool results grouped into the next user turn, tool calls to `tool_use` blocks with
 * parsed input, images as base64 or URL sources, `max_tokens` always set. Foreign reasoning is not
 * sent back: Anthropic verifies thinking signatures it made itself.
 */
export function messagesRequest(chat: ChatRequest, defaultMaxTokens: number, dropped: string[]): Json {
  refuseChoices('anthropic', chat)
  const system = chat.messages.filter((message) => message.role === 'system').map((message) => message.text)
  const body: Json = { model: chat.model, max_tokens: chat.maxTokens ?? defaultMaxTokens, messages: turns(chat.messages) }
  if (system.length > 0) body.system = system.join('\n\n')
  if (chat.stream) body.stream = true
  if (chat.temperature !== undefined) body.temperature = chat.temperature
  if (chat.topP !== undefined) body.top_p = chat.topP
  if (chat.stop !== undefined && chat.stop.length > 0) body.stop_sequences = chat.stop
  if (chat.user !== undefined) body.metadata = { user_id: chat.user }
  if (chat.tools !== undefined && chat.tools.length > 0) {
    body.tools = chat.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      input_schema: tool.parameters ?? { type: 'object', properties: {} },
    }))
  }
  const choice = toolChoice(chat.toolChoice, chat.parallelToolCalls)
  if (choice !== undefined && body.tools !== undefined) body.tool_choice = choice
  else if (chat.toolChoice !== undefined && chat.toolChoice !== 'none' && chat.toolChoice !== 'auto') dropped.push('tool_choice')
  if (chat.responseFormat?.type === 'json_schema') body.output_config = { format: { type: 'json_schema', schema: chat.responseFormat.schema } }
  else if (chat.responseFormat?.type === 'json_object') dropped.push('response_format')
  Object.assign(body, settleExtra('anthropic', chat, takenExtra, dropped))
  const budget = chat.reasoningEffort === undefined ? undefined : thinkingBudget[chat.reasoningEffort]
  if (budget !== undefined && body.thinking === undefined) {
    body.thinking = { type: 'enabled', budget_tokens: budget }
    // The budget must stay below max_tokens: the answer's own room is kept on top of it.
    if ((body.max_tokens as number) <= budget) body.max_tokens = budget + (body.max_tokens as number)
  } else if (chat.reasoningEffort !== undefined && budget === undefined) {
    dropped.push('reasoning_effort')
  }
  return body
}

function toolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): Json | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {}
  if (choice === undefined) return parallel === false ? { type: 'auto', ...single } : undefined
  if (choice === 'auto') return { type: 'auto', ...single }
  if (choice === 'none') return { type: 'none' }
  if (choice === 'required') return { type: 'any', ...single }
  return { type: 'tool', name: choice.name, ...single }
}

/**
 * The conversation as alternating user and assistant turns: each OpenAI `tool` message becomes a
 * `tool_result` block, and the results answering one assistant turn go together in the next user
 * turn, ahead of any text (Anthropic refuses tool_use ids without their results right after).
 */
function turns(messages: readonly ChatMessage[]): Json[] {
  const out: { role: 'user' | 'assistant'; content: Json[] }[] = []
  const add = (role: 'user' | 'assistant', blocks: Json[]) => {
    if (blocks.length === 0) return
    const last = out.at(-1)
    if (last?.role === role) last.content.push(...blocks)
    else out.push({ role, content: blocks })
  }
  messages.forEach((message, index) => {
    if (message.role === 'system') return
    if (message.role === 'user') add('user', message.content.map((part, at) => block(part, `messages[${index}].content[${at}]`)).filter(nonEmpty))
    else if (message.role === 'tool') add('user', [{ type: 'tool_result', tool_use_id: toolUseId(message.toolCallId), content: toolResultContent(message.content, index) }])
    else {
      const blocks: Json[] = message.content.filter((part) => part.text !== '').map((part) => ({ type: 'text', text: part.text }))
      for (const call of message.toolCalls) blocks.push({ type: 'tool_use', id: toolUseId(call.id), name: call.name, input: argumentsObject(call.arguments) })
      add('assistant', blocks)
    }
  })
  // Tool results first within a user turn: text the client put after them stays after them.
  for (const turn of out) if (turn.role === 'user') turn.content.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'))
  return out
}

/**
 * Anthropic takes tool_use ids of letters, digits, `_` and `-` only; ids another provider made (a
 * conversation that failed over, Gemini's signature-carrying ids) are mapped alike on both the call
 * and its result, so they still pair.
 */
function toolUseId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_')
}

/** Anthropic refuses empty text blocks ("text content blocks must be non-empty"). */
function nonEmpty(block: Json): boolean {
  return !(block.type === 'text' && block.text === '')
}

function block(part: ContentPart, param: string): Json {
  if (part.type === 'text') return { type: 'text', text: part.text }
  if (part.type === 'image') {
    if (part.inline !== undefined) return { type: 'image', source: { type: 'base64', media_type: part.inline.mediaType, data: part.inline.data } }
    if (/^https?:\/\//i.test(part.url)) return { type: 'image', source: { type: 'url', url: part.url } }
    throw unsupported('anthropic', `${param}.image_url.url`, 'an image must be a data: URL or an http(s) URL.')
  }
  throw unsupported('anthropic', `${param}.type`, `content parts of type ${part.kind} have no Anthropic equivalent here.`)
}

function toolResultContent(parts: readonly ContentPart[], index: number): string | Json[] {
  if (parts.every((part) => part.type === 'text')) return parts.map((part) => (part.type === 'text' ? part.text : '')).join('')
  return parts.map((part, at) => block(part, `messages[${index}].content[${at}]`)).filter(nonEmpty)
}
