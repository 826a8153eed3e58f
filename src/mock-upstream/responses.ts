import { jsonAnswer, type Answer, type EndpointInput } from './answer.js'
import { isJsonObject, modelOf, positiveInteger, unixSeconds, type JsonObject } from './json-body.js'
import { invalidRequest } from './openai-error.js'
import { planAnswer } from './plan.js'
import { responseObject, type ResponseRender } from './responses-output.js'
import { responseEvents } from './responses-stream.js'
import { textLength } from './text.js'

/**
 * POST …/responses: OpenAI's Responses API, from the same plan as chat (and every other API the mock
 * speaks): a `response` object, or with `"stream": true` its SSE events (responses-stream.ts).
 * Prompt characters are the instructions' and the input's text; function tools are offered by name
 * (the flat `{type: 'function', name}` form: a chat-style `function: {name}` is refused, as the real
 * API refuses it); `tool_choice` `{type: 'function', name}` or `'none'`; `max_output_tokens` cuts the
 * answer, which then ends `incomplete`.
 */
export function responsesAnswer({ id, body, behaviour }: EndpointInput): Answer {
  const model = modelOf(body)
  if (typeof model !== 'string') return model
  const problem = invalid(body)
  if (problem !== undefined) return problem
  const plan = planAnswer({
    id,
    behaviour,
    promptChars: inputLength(body),
    tools: functionNames(body.tools),
    toolChoice: toolChoiceOf(body.tool_choice),
    maxTokens: positiveInteger(body.max_output_tokens),
  })
  const render: ResponseRender = { id, model, body, plan, usage: behaviour.usage, createdAt: unixSeconds() }
  return body.stream === true ? responseEvents(render) : jsonAnswer(200, responseObject(render, 'done'))
}

/** Characters of prompt text: the instructions, and the text of every input message and tool output. */
function inputLength(body: JsonObject): number {
  const instructions = textLength(body.instructions)
  const { input } = body
  if (typeof input === 'string') return instructions + input.length
  if (!Array.isArray(input)) return instructions
  let total = instructions
  for (const item of input) if (isJsonObject(item)) total += textLength(item.type === 'function_call_output' ? item.output : item.content)
  return total
}

/** The names of the function tools offered, in order; other tool types (web_search, ...) offer nothing the mock can call. */
function functionNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return []
  return tools.filter((tool): tool is JsonObject => isJsonObject(tool) && tool.type === 'function').map((tool) => tool.name as string)
}

function toolChoiceOf(choice: unknown): string | undefined {
  if (choice === 'none') return 'none'
  return isJsonObject(choice) && choice.type === 'function' && typeof choice.name === 'string' ? choice.name : undefined
}

/** The 400s the real API answers for a malformed request, in its words. */
function invalid(body: JsonObject): Answer | undefined {
  const { input, tools, tool_choice: choice } = body
  if (input !== undefined && typeof input !== 'string' && !Array.isArray(input)) {
    return invalidRequest(`Invalid type for 'input': expected one of a string or array of input items, but got ${typeName(input)} instead.`, 'invalid_type', 'input')
  }
  if (tools !== undefined && !Array.isArray(tools)) return invalidRequest(`Invalid type for 'tools': expected an array, but got ${typeName(tools)} instead.`, 'invalid_type', 'tools')
  const offered: unknown[] = Array.isArray(tools) ? tools : []
  for (const [index, tool] of offered.entries()) {
    if (isJsonObject(tool) && tool.type === 'function' && typeof tool.name !== 'string') {
      return invalidRequest(`Missing required parameter: 'tools[${index}].name'.`, 'missing_required_parameter', `tools[${index}].name`)
    }
  }
  if (isJsonObject(choice) && choice.type === 'function' && typeof choice.name !== 'string') {
    return invalidRequest("Missing required parameter: 'tool_choice.name'.", 'missing_required_parameter', 'tool_choice.name')
  }
  return undefined
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  return isJsonObject(value) ? 'an object' : `a ${typeof value}`
}
