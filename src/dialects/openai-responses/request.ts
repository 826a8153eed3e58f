import type { ChatMessage, ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../chat/request.js'
import { absent, bad, isObject, unsupported, type Json, number, positiveInteger } from '../fields.js'
import { readInput } from './input.js'

/** Fields read into a ChatRequest slot (or refused below); every other field set is named in `dropped`. */
const read = new Set(['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'temperature', 'top_p', 'text', 'reasoning', 'user', 'safety_identifier', 'stream', 'store', 'previous_response_id', 'conversation', 'background'])

const stateless = 'the gateway is stateless and keeps no responses, so send the whole conversation in input (Codex does) with store: false.'

/**
 * An OpenAI Responses body read into the canonical ChatRequest. What needs OpenAI's server state
 * (earlier responses, conversations, stored or background responses) or its built-in tools is
 * refused with a 400 naming the field; fields that only tune OpenAI's own service are left out and
 * named in `dropped`.
 */
export function readResponsesRequest(json: Json, model: string): ChatRequest {
  refuseState(json)
  const messages: ChatMessage[] = []
  if (!absent(json.instructions)) {
    if (typeof json.instructions !== 'string') throw bad('instructions', 'must be a string.')
    messages.push({ role: 'system', text: json.instructions })
  }
  messages.push(...readInput(json.input))
  const request: ChatRequest = { model, messages, stream: json.stream === true, includeUsage: false, extra: {} }
  const dropped: string[] = []
  if (!absent(json.max_output_tokens)) request.maxTokens = positiveInteger(json.max_output_tokens, 'max_output_tokens')
  if (!absent(json.temperature)) request.temperature = number(json.temperature, 'temperature')
  if (!absent(json.top_p)) request.topP = number(json.top_p, 'top_p')
  if (!absent(json.tools)) request.tools = readTools(json.tools)
  if (!absent(json.tool_choice)) request.toolChoice = readToolChoice(json.tool_choice)
  if (typeof json.parallel_tool_calls === 'boolean') request.parallelToolCalls = json.parallel_tool_calls
  if (!absent(json.text)) readText(json.text, request, dropped)
  if (!absent(json.reasoning)) readReasoning(json.reasoning, request, dropped)
  const user = json.safety_identifier ?? json.user
  if (typeof user === 'string') request.user = user
  for (const field in json) if (!read.has(field) && !absent(json[field])) dropped.push(field)
  if (dropped.length > 0) request.dropped = dropped
  request.clientNames = typeof json.safety_identifier === 'string' ? { ...clientNames, user: 'safety_identifier' } : clientNames
  return request
}

/** Chat's names of the fields a provider may drop or refuse, as a Responses client sent them. */
const clientNames: Readonly<Record<string, string>> = {
  messages: 'input',
  max_tokens: 'max_output_tokens',
  response_format: 'text.format',
  verbosity: 'text.verbosity',
  reasoning_effort: 'reasoning.effort',
}

/** The fields that need OpenAI to remember something between requests. */
function refuseState(json: Json): void {
  if (!absent(json.previous_response_id)) throw unsupported('previous_response_id', `is not supported: ${stateless}`)
  if (!absent(json.conversation)) throw unsupported('conversation', `is not supported: ${stateless}`)
  if (json.store === true) throw unsupported('store', `true is not supported: ${stateless}`)
  if (json.background === true) throw unsupported('background', `true is not supported: ${stateless}`)
}

/** Function tools are flat in Responses: `{ type: 'function', name, parameters }`. */
function readTools(value: unknown): ToolDefinition[] {
  if (!Array.isArray(value)) throw bad('tools', 'must be an array.')
  return value.map((tool: unknown, index) => {
    const param = `tools[${index}]`
    if (!isObject(tool) || typeof tool.type !== 'string') throw bad(param, 'must be a tool with a type.')
    if (tool.type !== 'function') throw unsupported(param, `is a ${tool.type} tool: built-in tools have no equivalent outside OpenAI's Responses API; only function tools are supported.`)
    if (typeof tool.name !== 'string') throw bad(`${param}.name`, 'must be a string.')
    return {
      name: tool.name,
      ...(typeof tool.description === 'string' && { description: tool.description }),
      ...(isObject(tool.parameters) && { parameters: tool.parameters }),
      ...(typeof tool.strict === 'boolean' && { strict: tool.strict }),
    }
  })
}

function readToolChoice(value: unknown): ToolChoice {
  if (value === 'auto' || value === 'none' || value === 'required') return value
  if (isObject(value) && value.type === 'function' && typeof value.name === 'string') return { name: value.name }
  if (isObject(value) && typeof value.type === 'string' && value.type !== 'function') throw unsupported('tool_choice', `of type ${value.type} is not supported: only auto, none, required and { type: 'function', name } are.`)
  throw bad('tool_choice', "must be auto, none, required or { type: 'function', name }.")
}

/** `text.format` is chat's response_format; `text.verbosity` chat's verbosity. */
function readText(value: unknown, request: ChatRequest, dropped: string[]): void {
  if (!isObject(value)) throw bad('text', 'must be an object.')
  for (const field in value) {
    if (absent(value[field])) continue
    if (field === 'format') request.responseFormat = readFormat(value.format, dropped)
    else if (field === 'verbosity') request.extra.verbosity = value.verbosity
    else dropped.push(`text.${field}`)
  }
}

function readFormat(value: unknown, dropped: string[]): ResponseFormat {
  if (!isObject(value)) throw bad('text.format', 'must be an object.')
  if (value.type === 'text' || value.type === 'json_object') return { type: value.type }
  if (value.type === 'json_schema') {
    const { name, schema, strict, description } = value
    if (!isObject(schema)) throw bad('text.format.schema', 'must be a JSON Schema object.')
    if (typeof description === 'string') dropped.push('text.format.description')
    return { type: 'json_schema', name: typeof name === 'string' ? name : 'response', schema, ...(typeof strict === 'boolean' && { strict }) }
  }
  throw bad('text.format', 'must be { type: text }, { type: json_object } or { type: json_schema, name, schema }.')
}

/** Only the effort has a chat slot; summaries are OpenAI's own (the upstream's reasoning is streamed as it comes). */
function readReasoning(value: unknown, request: ChatRequest, dropped: string[]): void {
  if (!isObject(value)) throw bad('reasoning', 'must be an object.')
  for (const field in value) {
    if (absent(value[field])) continue
    if (field === 'effort') {
      if (typeof value.effort !== 'string') throw bad('reasoning.effort', 'must be a string.')
      request.reasoningEffort = value.effort
    } else dropped.push(`reasoning.${field}`)
  }
}
