import type { AssistantMessage, ChatMessage, ContentPart, ImagePart, OtherPart, TextPart, ToolCallPart, ToolMessage } from '../../chat/request.js'
import { absent, bad, isObject, unsupported, type Json } from '../fields.js'

/**
 * Anthropic's conversation read into canonical messages (translation.md §6a), turn by turn and in
 * order; nothing is merged across turns. A user turn's tool results become tool messages ahead of
 * the rest of that turn, as OpenAI wants them right after the assistant's calls.
 */

/** Put before the text of a tool_result with `is_error: true`: OpenAI's tool messages have no error flag. */
export const toolErrorMarker = '[tool error] '

/** System blocks are separate paragraphs: a blank line keeps them apart (and matches how system messages are joined going back to Anthropic). */
const systemSeparator = '\n\n'

export function readMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw bad('messages', 'must be a non-empty array of messages.')
  const out: ChatMessage[] = []
  value.forEach((message, index) => readTurn(message, `messages[${index}]`, out))
  return out
}

/** `system`: a string or text blocks, as one system text ('' when there is none). */
export function systemText(value: unknown, param: string): string {
  if (typeof value === 'string') return value
  if (!Array.isArray(value)) throw bad(param, 'must be a string or an array of text blocks.')
  const texts: string[] = []
  value.forEach((block, index) => {
    if (!isObject(block) || block.type !== 'text' || typeof block.text !== 'string') throw bad(`${param}[${index}]`, "must be a text block: { type: 'text', text }.")
    if (block.text !== '') texts.push(block.text)
  })
  return texts.join(systemSeparator)
}

function readTurn(value: unknown, param: string, out: ChatMessage[]): void {
  if (!isObject(value)) throw bad(param, 'must be an object.')
  const content = `${param}.content`
  switch (value.role) {
    case 'user':
      readUser(blocks(value.content, content), content, out)
      return
    case 'assistant':
      out.push(readAssistant(blocks(value.content, content), content))
      return
    case 'system': {
      // The SDK's types list a system role in messages too: it is an instruction where it stands.
      const text = systemText(value.content, content)
      if (text !== '') out.push({ role: 'system', text })
      return
    }
    default:
      throw bad(`${param}.role`, `must be user or assistant (got ${JSON.stringify(value.role) ?? 'nothing'}).`)
  }
}

/** Content as blocks: a string is one text block. */
function blocks(value: unknown, param: string): Json[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }]
  if (!Array.isArray(value)) throw bad(param, 'must be a string or an array of content blocks.')
  return value.map((block, index) => {
    if (!isObject(block) || typeof block.type !== 'string') throw bad(`${param}[${index}]`, 'must be a content block with a type.')
    return block
  })
}

function readUser(list: Json[], param: string, out: ChatMessage[]): void {
  const results: ToolMessage[] = []
  // Images and documents of tool results: OpenAI's tool messages carry text only, so they follow in the user message.
  const moved: ContentPart[] = []
  const rest: ContentPart[] = []
  list.forEach((block, index) => {
    const at = `${param}[${index}]`
    if (block.type === 'tool_result') results.push(readToolResult(block, at, moved))
    else pushPart(rest, block, at, 'user')
  })
  out.push(...results)
  if (moved.length + rest.length > 0) out.push({ role: 'user', content: [...moved, ...rest] })
}

function readToolResult(block: Json, param: string, moved: ContentPart[]): ToolMessage {
  if (typeof block.tool_use_id !== 'string') throw bad(`${param}.tool_use_id`, 'must be a string.')
  const content: ContentPart[] = []
  if (!absent(block.content)) {
    blocks(block.content, `${param}.content`).forEach((part, index) => {
      pushPart(part.type === 'text' ? content : moved, part, `${param}.content[${index}]`, 'tool_result')
    })
  }
  if (block.is_error === true) {
    const first = content[0]
    if (first?.type === 'text') content[0] = { type: 'text', text: toolErrorMarker + first.text }
    else content.unshift({ type: 'text', text: toolErrorMarker.trimEnd() })
  }
  return { role: 'tool', toolCallId: block.tool_use_id, content }
}

/** A user turn's (or a tool result's) block as a content part; empty text is skipped (Anthropic refuses it anyway). */
function pushPart(parts: ContentPart[], block: Json, param: string, where: 'user' | 'tool_result'): void {
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') throw bad(`${param}.text`, 'must be a string.')
      if (block.text !== '') parts.push({ type: 'text', text: block.text })
      return
    case 'image':
      parts.push(readImage(block, param))
      return
    case 'document':
      parts.push(readDocument(block, param))
      return
    default:
      throw refused(block.type as string, param, where === 'user' ? 'text, image, document or tool_result' : 'text, image or document')
  }
}

function readImage(block: Json, param: string): ImagePart {
  const source = block.source
  if (!isObject(source)) throw bad(`${param}.source`, 'must be an object.')
  if (source.type === 'base64') {
    if (typeof source.media_type !== 'string') throw bad(`${param}.source.media_type`, 'must be a string.')
    if (typeof source.data !== 'string') throw bad(`${param}.source.data`, 'must be a string.')
    return { type: 'image', url: `data:${source.media_type};base64,${source.data}`, inline: { mediaType: source.media_type, data: source.data } }
  }
  if (source.type === 'url') {
    if (typeof source.url !== 'string') throw bad(`${param}.source.url`, 'must be a string.')
    return { type: 'image', url: source.url }
  }
  if (source.type === 'file') throw unsupported(`${param}.source`, "names a file of Anthropic's Files API, which other APIs cannot read: send the image as base64 or a URL.")
  throw bad(`${param}.source.type`, `must be base64, url or file (got ${JSON.stringify(source.type) ?? 'nothing'}).`)
}

/** A base64 PDF as OpenAI chat's file part; other document sources have no equivalent there. */
function readDocument(block: Json, param: string): OtherPart {
  const source = block.source
  if (!isObject(source) || source.type !== 'base64' || source.media_type !== 'application/pdf' || typeof source.data !== 'string') {
    throw unsupported(`${param}.source`, 'can only be a base64 PDF ({ type: base64, media_type: application/pdf, data }) for an upstream of another API.')
  }
  const title = typeof block.title === 'string' && block.title !== '' ? block.title : 'document'
  const filename = title.toLowerCase().endsWith('.pdf') ? title : `${title}.pdf`
  return { type: 'other', kind: 'file', value: { type: 'file', file: { filename, file_data: `data:application/pdf;base64,${source.data}` } } }
}

function readAssistant(list: Json[], param: string): AssistantMessage {
  const content: TextPart[] = []
  const toolCalls: ToolCallPart[] = []
  const thinking: string[] = []
  list.forEach((block, index) => {
    const at = `${param}[${index}]`
    switch (block.type) {
      case 'text':
        if (typeof block.text !== 'string') throw bad(`${at}.text`, 'must be a string.')
        if (block.text !== '') content.push({ type: 'text', text: block.text })
        return
      case 'tool_use':
        toolCalls.push(readToolUse(block, at))
        return
      case 'thinking':
        if (typeof block.thinking !== 'string') throw bad(`${at}.thinking`, 'must be a string.')
        if (block.thinking !== '') thinking.push(block.thinking)
        return
      case 'redacted_thinking':
        // Encrypted for Anthropic alone: no other model can read it.
        return
      default:
        throw refused(block.type as string, at, 'text, tool_use, thinking or redacted_thinking')
    }
  })
  const message: AssistantMessage = { role: 'assistant', content, toolCalls }
  if (thinking.length > 0) message.reasoning = thinking.join('\n\n')
  return message
}

function readToolUse(block: Json, param: string): ToolCallPart {
  if (typeof block.id !== 'string') throw bad(`${param}.id`, 'must be a string.')
  if (typeof block.name !== 'string') throw bad(`${param}.name`, 'must be a string.')
  if (!absent(block.input) && !isObject(block.input)) throw bad(`${param}.input`, 'must be an object.')
  return { id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) }
}

/** A block type that has no place here: Anthropic's server-tool blocks and the like exist on Anthropic only. */
function refused(type: string, param: string, allowed: string): Error {
  return unsupported(`${param}.type`, `must be ${allowed} for an upstream of another API (got ${type}): other blocks have no equivalent there.`)
}
