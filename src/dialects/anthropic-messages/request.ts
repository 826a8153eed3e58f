import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../chat/request.js'
import { absent, bad, isObject, unsupported, type Json, number } from '../fields.js'
import { readMessages, systemText } from './messages.js'

/**
 * Fields read into the ChatRequest. `cache_control` is a caching hint with no effect on the answer,
 * so it is ignored here as everywhere else; every other field (service_tier, container, mcp_servers,
 * context_management, inference_geo, tomorrow's) has no meaning off Anthropic and is named in `dropped`.
 */
const read = new Set(['model', 'messages', 'system', 'max_tokens', 'stream', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'metadata', 'tools', 'tool_choice', 'thinking', 'output_config', 'cache_control'])

/** Anthropic's output_config.effort → OpenAI's reasoning_effort; `max` has no OpenAI level above xhigh. */
const efforts: ReadonlyMap<unknown, string> = new Map([
  ['low', 'low'],
  ['medium', 'medium'],
  ['high', 'high'],
  ['xhigh', 'xhigh'],
  ['max', 'xhigh'],
])

const toolChoices: ReadonlyMap<unknown, ToolChoice> = new Map<unknown, ToolChoice>([
  ['auto', 'auto'],
  ['any', 'required'],
  ['none', 'none'],
])

/**
 * An Anthropic Messages body read into the canonical ChatRequest (translation.md §6a), for upstreams
 * of another API. What Anthropic would refuse as malformed is refused here too (400 naming the
 * field), and so is what cannot be carried without changing the answer (server tools, file ids).
 */
export function readMessagesRequest(json: Json, model: string): ChatRequest {
  const system = absent(json.system) ? '' : systemText(json.system, 'system')
  const messages = readMessages(json.messages)
  if (system !== '') messages.unshift({ role: 'system', text: system })
  const request: ChatRequest = { model, messages, stream: json.stream === true, maxTokens: maxTokens(json.max_tokens), includeUsage: false, extra: {} }
  if (!absent(json.temperature)) request.temperature = number(json.temperature, 'temperature')
  if (!absent(json.top_p)) request.topP = number(json.top_p, 'top_p')
  if (!absent(json.top_k)) request.extra.top_k = number(json.top_k, 'top_k')
  if (!absent(json.stop_sequences)) request.stop = strings(json.stop_sequences, 'stop_sequences')
  if (isObject(json.metadata) && typeof json.metadata.user_id === 'string') request.user = json.metadata.user_id
  if (!absent(json.tools)) request.tools = readTools(json.tools)
  if (!absent(json.tool_choice)) readToolChoice(json.tool_choice, request)
  if (!absent(json.thinking)) readThinking(json.thinking, request)
  if (!absent(json.output_config)) readOutputConfig(json.output_config, request)
  const dropped = Object.keys(json).filter((field) => !read.has(field) && !absent(json[field]))
  if (dropped.length > 0) request.dropped = dropped
  request.clientNames = isObject(json.output_config) && !absent(json.output_config.effort) ? { ...clientNames, reasoning_effort: 'output_config.effort' } : clientNames
  return request
}

/** Chat's names of the fields a provider may drop or refuse, as an Anthropic client sent them. */
const clientNames: Readonly<Record<string, string>> = {
  stop: 'stop_sequences',
  user: 'metadata.user_id',
  response_format: 'output_config.format',
  reasoning_effort: 'thinking',
  parallel_tool_calls: 'tool_choice.disable_parallel_tool_use',
}

function maxTokens(value: unknown): number {
  // Anthropic's own words for a missing max_tokens are "max_tokens: Field required".
  if (absent(value)) throw bad('max_tokens', 'is required: a positive integer.')
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw bad('max_tokens', 'must be a positive integer.')
  return value
}

function strings(value: unknown, param: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw bad(param, 'must be an array of strings.')
  return value as string[]
}

function readTools(value: unknown): ToolDefinition[] {
  if (!Array.isArray(value)) throw bad('tools', 'must be an array.')
  return value.map((tool, index) => {
    const param = `tools[${index}]`
    if (!isObject(tool)) throw bad(param, 'must be an object.')
    if (!absent(tool.type) && tool.type !== 'custom') {
      // Server tools (bash_20250124, web_search_20250305, ...) run inside Anthropic's API: no other API can run them.
      const name = typeof tool.name === 'string' ? `${tool.name} ` : ''
      throw unsupported(param, `is a tool Anthropic's servers run (${name}${JSON.stringify(tool.type)}): upstreams of another API have no equivalent.`)
    }
    if (typeof tool.name !== 'string') throw bad(`${param}.name`, 'must be a string.')
    if (!isObject(tool.input_schema)) throw bad(`${param}.input_schema`, 'must be an object (a JSON Schema).')
    return {
      name: tool.name,
      ...(typeof tool.description === 'string' && { description: tool.description }),
      parameters: tool.input_schema,
      ...(typeof tool.strict === 'boolean' && { strict: tool.strict }),
    }
  })
}

function readToolChoice(value: unknown, request: ChatRequest): void {
  if (!isObject(value)) throw bad('tool_choice', 'must be an object.')
  const choice = toolChoices.get(value.type)
  if (choice !== undefined) request.toolChoice = choice
  else if (value.type === 'tool' && typeof value.name === 'string') request.toolChoice = { name: value.name }
  else throw bad('tool_choice', "must be { type: auto | any | none } or { type: 'tool', name }.")
  if (value.disable_parallel_tool_use === true) request.parallelToolCalls = false
}

/** A thinking budget as a reasoning effort: up to 2048 tokens is low, up to 8192 medium, more high. */
function readThinking(value: unknown, request: ChatRequest): void {
  if (!isObject(value)) throw bad('thinking', 'must be an object.')
  if (value.type === 'disabled') return
  if (value.type === 'adaptive') {
    request.reasoningEffort = 'medium'
    return
  }
  if (value.type !== 'enabled') throw bad('thinking.type', 'must be enabled, adaptive or disabled.')
  const budget = value.budget_tokens
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1) throw bad('thinking.budget_tokens', 'must be a positive integer.')
  request.reasoningEffort = budget <= 2048 ? 'low' : budget <= 8192 ? 'medium' : 'high'
}

/** output_config: an explicit effort wins over the one a thinking budget implies. */
function readOutputConfig(value: unknown, request: ChatRequest): void {
  if (!isObject(value)) throw bad('output_config', 'must be an object.')
  if (!absent(value.effort)) {
    const effort = efforts.get(value.effort)
    if (effort === undefined) throw bad('output_config.effort', 'must be low, medium, high, xhigh or max.')
    request.reasoningEffort = effort
  }
  if (!absent(value.format)) request.responseFormat = readFormat(value.format)
}

function readFormat(value: unknown): ResponseFormat {
  if (!isObject(value) || value.type !== 'json_schema' || !isObject(value.schema)) throw bad('output_config.format', "must be { type: 'json_schema', schema }.")
  return { type: 'json_schema', name: 'response', schema: value.schema }
}
