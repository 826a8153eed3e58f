import type { AssistantMessage, ChatMessage, ChatRequest, ContentPart, ResponseFormat, TextPart, ToolCallPart, ToolChoice, ToolDefinition } from '../../chat/request.js'
import { bad, isObject, number, positiveInteger } from '../fields.js'

type Json = Record<string, unknown>

/** Fields with a slot in ChatRequest (or consumed by the gateway); everything else goes to `extra`. */
const slotted = new Set(['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'n', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'reasoning_effort', 'user'])

/**
 * An OpenAI chat completions body read into the canonical ChatRequest, for upstreams that speak
 * another API. What OpenAI would refuse as malformed is refused here too (400 naming the field), so a
 * translated request fails the way the client knows.
 */
export function readChatRequest(json: Json, model: string): ChatRequest {
  const request: ChatRequest = { model, messages: readMessages(json.messages), stream: json.stream === true, includeUsage: includeUsage(json), extra: {} }
  const maxTokens = json.max_completion_tokens ?? json.max_tokens
  if (maxTokens !== undefined && maxTokens !== null) request.maxTokens = positiveInteger(maxTokens, json.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens')
  if (json.temperature !== undefined && json.temperature !== null) request.temperature = number(json.temperature, 'temperature')
  if (json.top_p !== undefined && json.top_p !== null) request.topP = number(json.top_p, 'top_p')
  if (json.n !== undefined && json.n !== null) request.n = positiveInteger(json.n, 'n')
  if (json.stop !== undefined && json.stop !== null) request.stop = readStop(json.stop)
  if (json.tools !== undefined && json.tools !== null) request.tools = readTools(json.tools)
  if (json.tool_choice !== undefined && json.tool_choice !== null) request.toolChoice = readToolChoice(json.tool_choice)
  if (typeof json.parallel_tool_calls === 'boolean') request.parallelToolCalls = json.parallel_tool_calls
  if (json.response_format !== undefined && json.response_format !== null) request.responseFormat = readResponseFormat(json.response_format)
  if (typeof json.reasoning_effort === 'string') request.reasoningEffort = json.reasoning_effort
  if (typeof json.user === 'string') request.user = json.user
  for (const field in json) if (!slotted.has(field) && json[field] !== undefined) request.extra[field] = json[field]
  return request
}

function includeUsage(json: Json): boolean {
  return isObject(json.stream_options) && json.stream_options.include_usage === true
}

function readStop(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[]
  throw bad('stop', 'must be a string or an array of strings.')
}

function readMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw bad('messages', 'must be a non-empty array of messages.')
  return value.map((message, index) => readMessage(message, `messages[${index}]`))
}

function readMessage(value: unknown, param: string): ChatMessage {
  if (!isObject(value)) throw bad(param, 'must be an object.')
  const { role } = value
  switch (role) {
    case 'system':
    case 'developer':
      return { role: 'system', text: textOnly(value.content, `${param}.content`) }
    case 'user':
      return { role: 'user', content: readContent(value.content, `${param}.content`), ...(typeof value.name === 'string' && { name: value.name }) }
    case 'assistant':
      return readAssistant(value, param)
    case 'tool':
      if (typeof value.tool_call_id !== 'string') throw bad(`${param}.tool_call_id`, 'must be a string.')
      return { role: 'tool', toolCallId: value.tool_call_id, content: readContent(value.content ?? '', `${param}.content`) }
    default:
      throw bad(`${param}.role`, `must be one of system, developer, user, assistant, tool (got ${JSON.stringify(role) ?? 'nothing'}).`)
  }
}

function readAssistant(value: Json, param: string): AssistantMessage {
  const content = value.content === undefined || value.content === null ? [] : readContent(value.content, `${param}.content`).filter((part): part is TextPart => part.type === 'text')
  if (typeof value.refusal === 'string' && value.refusal !== '') content.push({ type: 'text', text: value.refusal })
  const message: AssistantMessage = { role: 'assistant', content, toolCalls: readToolCalls(value.tool_calls, `${param}.tool_calls`) }
  const reasoning = value.reasoning_content ?? value.reasoning
  if (typeof reasoning === 'string' && reasoning !== '') message.reasoning = reasoning
  return message
}

function readToolCalls(value: unknown, param: string): ToolCallPart[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw bad(param, 'must be an array.')
  return value.map((call, index) => {
    const fn = isObject(call) && isObject(call.function) ? call.function : undefined
    if (!isObject(call) || typeof call.id !== 'string' || fn === undefined || typeof fn.name !== 'string') throw bad(`${param}[${index}]`, 'must have an id and a function with a name.')
    return { id: call.id, name: fn.name, arguments: typeof fn.arguments === 'string' ? fn.arguments : '{}' }
  })
}

/** A string, or parts of which only text counts (system messages). */
function textOnly(value: unknown, param: string): string {
  if (typeof value === 'string') return value
  return readContent(value, param)
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('')
}

function readContent(value: unknown, param: string): ContentPart[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }]
  if (!Array.isArray(value)) throw bad(param, 'must be a string or an array of content parts.')
  return value.map((part, index) => readPart(part, `${param}[${index}]`))
}

const dataUrl = /^data:([\w.+-]+\/[\w.+-]+)(?:;[\w=-]+)*;base64,(.*)$/s

function readPart(value: unknown, param: string): ContentPart {
  if (!isObject(value) || typeof value.type !== 'string') throw bad(param, 'must be a content part with a type.')
  if (value.type === 'text') {
    if (typeof value.text !== 'string') throw bad(`${param}.text`, 'must be a string.')
    return { type: 'text', text: value.text }
  }
  if (value.type === 'image_url') {
    const image = isObject(value.image_url) ? value.image_url : undefined
    if (typeof image?.url !== 'string') throw bad(`${param}.image_url.url`, 'must be a string.')
    const match = dataUrl.exec(image.url)
    return { type: 'image', url: image.url, ...(typeof image.detail === 'string' && { detail: image.detail }), ...(match !== null && { inline: { mediaType: match[1]!, data: match[2]! } }) }
  }
  return { type: 'other', kind: value.type, value }
}

function readTools(value: unknown): ToolDefinition[] {
  if (!Array.isArray(value)) throw bad('tools', 'must be an array.')
  return value.map((tool, index) => {
    const fn = isObject(tool) && tool.type === 'function' && isObject(tool.function) ? tool.function : undefined
    if (fn === undefined || typeof fn.name !== 'string') throw bad(`tools[${index}]`, "must be a function tool: { type: 'function', function: { name, parameters } }.")
    return {
      name: fn.name,
      ...(typeof fn.description === 'string' && { description: fn.description }),
      ...(isObject(fn.parameters) && { parameters: fn.parameters }),
      ...(typeof fn.strict === 'boolean' && { strict: fn.strict }),
    }
  })
}

function readToolChoice(value: unknown): ToolChoice {
  if (value === 'auto' || value === 'none' || value === 'required') return value
  if (isObject(value) && isObject(value.function) && typeof value.function.name === 'string') return { name: value.function.name }
  throw bad('tool_choice', "must be auto, none, required or { type: 'function', function: { name } }.")
}

function readResponseFormat(value: unknown): ResponseFormat {
  if (!isObject(value)) throw bad('response_format', 'must be an object.')
  if (value.type === 'text' || value.type === 'json_object') return { type: value.type }
  if (value.type === 'json_schema' && isObject(value.json_schema) && isObject(value.json_schema.schema)) {
    const { name, schema, strict } = value.json_schema
    return { type: 'json_schema', name: typeof name === 'string' ? name : 'response', schema, ...(typeof strict === 'boolean' && { strict }) }
  }
  throw bad('response_format', 'must be { type: text }, { type: json_object } or { type: json_schema, json_schema: { name, schema } }.')
}
