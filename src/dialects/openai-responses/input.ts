import type { AssistantMessage, ChatMessage, ContentPart, TextPart, ToolCallPart, ToolMessage } from '../../chat/request.js'
import { absent, bad, isObject, unsupported, type Json } from '../fields.js'

/**
 * A Responses `input` read into chat messages. Items map one to one, except that function_call
 * items join the assistant message before them (chat holds a turn's text and tool calls in one
 * message), and reasoning items are not messages: their text rides on the next assistant message as
 * `reasoning`, which providers that verify reasoning drop.
 */
export function readInput(value: unknown): ChatMessage[] {
  if (typeof value === 'string') return [{ role: 'user', content: [{ type: 'text', text: value }] }]
  if (!Array.isArray(value)) throw bad('input', 'must be a string or an array of input items.')
  const messages: ChatMessage[] = []
  // The assistant message function_call items join, until an item of another side comes.
  let turn: AssistantMessage | undefined
  let reasoning = ''
  value.forEach((item: unknown, index) => {
    const param = `input[${index}]`
    if (!isObject(item)) throw bad(param, 'must be an input item object.')
    // EasyInputMessage may leave out its type.
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined)
    switch (type) {
      case 'reasoning':
        reasoning = joined(reasoning, reasoningText(item))
        return
      case 'message': {
        const message = readMessage(item, param)
        messages.push(message)
        turn = message.role === 'assistant' ? message : undefined
        break
      }
      case 'function_call':
        turn ??= newTurn(messages)
        turn.toolCalls.push(readFunctionCall(item, param))
        break
      case 'function_call_output':
        messages.push(readFunctionOutput(item, param))
        turn = undefined
        break
      default:
        throw refusedItem(type, param)
    }
    // Reasoning belongs to the assistant turn that follows it, never to a later one.
    if (turn !== undefined && reasoning !== '') turn.reasoning = joined(turn.reasoning ?? '', reasoning)
    reasoning = ''
  })
  return messages
}

function joined(before: string, text: string): string {
  return before === '' || text === '' ? before + text : `${before}\n\n${text}`
}

function newTurn(messages: ChatMessage[]): AssistantMessage {
  const turn: AssistantMessage = { role: 'assistant', content: [], toolCalls: [] }
  messages.push(turn)
  return turn
}

function refusedItem(type: unknown, param: string): Error {
  if (type === 'item_reference') return unsupported(param, 'is an item_reference: the gateway is stateless and keeps no items, so send the item itself (the whole conversation in input).')
  if (typeof type !== 'string') return bad(`${param}.type`, 'must be the type of an input item (message, function_call, function_call_output, reasoning).')
  return unsupported(param, `is a ${type} item, which has no equivalent outside OpenAI's Responses API: only message, function_call, function_call_output and reasoning items are supported.`)
}

/** The reasoning the item carries: its reasoning_text content (what this gateway streams), else its summary; encrypted content is dropped. */
function reasoningText(item: Json): string {
  const texts = (list: unknown, type: string): string =>
    Array.isArray(list)
      ? list
          .filter((part): part is Json => isObject(part) && part.type === type && typeof part.text === 'string')
          .map((part) => part.text as string)
          .join('\n\n')
      : ''
  return texts(item.content, 'reasoning_text') || texts(item.summary, 'summary_text')
}

function readMessage(item: Json, param: string): ChatMessage {
  const { role, content } = item
  switch (role) {
    case 'system':
    case 'developer':
      return { role: 'system', text: readParts(content, `${param}.content`, textParts).map((part) => part.text).join('') }
    case 'user':
      return { role: 'user', content: readParts(content, `${param}.content`, userParts) }
    case 'assistant':
      return { role: 'assistant', content: readParts(content, `${param}.content`, assistantParts), toolCalls: [] }
    default:
      throw bad(`${param}.role`, `must be one of user, assistant, system, developer (got ${JSON.stringify(role) ?? 'nothing'}).`)
  }
}

function readFunctionCall(item: Json, param: string): ToolCallPart {
  if (typeof item.call_id !== 'string') throw bad(`${param}.call_id`, 'must be a string.')
  if (typeof item.name !== 'string') throw bad(`${param}.name`, 'must be a string.')
  if (typeof item.arguments !== 'string') throw bad(`${param}.arguments`, 'must be a string (the arguments as JSON text).')
  return { id: item.call_id, name: item.name, arguments: item.arguments }
}

function readFunctionOutput(item: Json, param: string): ToolMessage {
  if (typeof item.call_id !== 'string') throw bad(`${param}.call_id`, 'must be a string.')
  return { role: 'tool', toolCallId: item.call_id, content: readParts(item.output, `${param}.output`, userParts) }
}

/** Reads one part of the types a role's content may hold; undefined for any other type. */
type PartReader<Part extends ContentPart> = (part: Json, param: string) => Part | undefined

function readParts<Part extends ContentPart>(value: unknown, param: string, read: PartReader<Part>): Part[] {
  // A string is one text part, whatever the role.
  const parts: unknown = typeof value === 'string' ? [{ type: 'input_text', text: value }] : value
  if (!Array.isArray(parts)) throw bad(param, 'must be a string or an array of content parts.')
  return parts.map((part: unknown, index) => {
    const at = `${param}[${index}]`
    if (!isObject(part) || typeof part.type !== 'string') throw bad(at, 'must be a content part with a type.')
    const canonical = read(part, at)
    if (canonical === undefined) throw unsupported(at, `is a ${part.type} part, which this message cannot hold.`)
    return canonical
  })
}

function textOf(part: Json, param: string): TextPart {
  if (typeof part.text !== 'string') throw bad(`${param}.text`, 'must be a string.')
  return { type: 'text', text: part.text }
}

const textParts: PartReader<TextPart> = (part, param) => (part.type === 'input_text' ? textOf(part, param) : undefined)

const assistantParts: PartReader<TextPart> = (part, param) => {
  if (part.type === 'output_text' || part.type === 'input_text') return textOf(part, param)
  // A refusal is text too (AssistantMessage.content).
  if (part.type === 'refusal') {
    if (typeof part.refusal !== 'string') throw bad(`${param}.refusal`, 'must be a string.')
    return { type: 'text', text: part.refusal }
  }
  return undefined
}

const dataUrl = /^data:([\w.+-]+\/[\w.+-]+)(?:;[\w=-]+)*;base64,(.*)$/s

const userParts: PartReader<ContentPart> = (part, param) => {
  switch (part.type) {
    case 'input_text':
      return textOf(part, param)
    case 'input_image': {
      if (!absent(part.file_id)) throw unsupported(`${param}.file_id`, 'is not supported: the gateway keeps no files; send the image as image_url (a URL or a data URL).')
      if (typeof part.image_url !== 'string') throw bad(`${param}.image_url`, 'must be a string (a URL or a data URL).')
      const match = dataUrl.exec(part.image_url)
      return {
        type: 'image',
        url: part.image_url,
        ...(typeof part.detail === 'string' && { detail: part.detail }),
        ...(match !== null && { inline: { mediaType: match[1]!, data: match[2]! } }),
      }
    }
    case 'input_file': {
      for (const field of ['file_id', 'file_url'])
        if (!absent(part[field])) throw unsupported(`${param}.${field}`, 'is not supported: the gateway keeps and fetches no files; send the file inline as file_data.')
      if (typeof part.file_data !== 'string') throw bad(`${param}.file_data`, 'must be a string.')
      // OpenAI chat's file part, which providers already take or refuse.
      const file: Json = { file_data: part.file_data, ...(typeof part.filename === 'string' && { filename: part.filename }) }
      return { type: 'other', kind: 'file', value: { type: 'file', file } }
    }
    default:
      return undefined
  }
}
