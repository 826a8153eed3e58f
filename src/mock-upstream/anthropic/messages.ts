import { jsonAnswer, type Answer } from '../answer.js'
import type { ApiInput } from '../api.js'
import { isJsonObject } from '../json-body.js'
import { planAnswer, type AnswerPlan } from '../plan.js'
import { anthropicError } from './errors.js'
import { headerProblem, invalid, promptChars } from './request.js'

/**
 * POST …/v1/messages: Anthropic's Messages API as the real one answers it (translation.md §2),
 * from the same plan as every other API the mock speaks. It refuses what Anthropic refuses, so a
 * gateway's translation is checked too: no max_tokens, an empty text block, a tool_use without its
 * tool_result in the next user turn, a missing key or version header.
 */
export function messagesAnswer({ id, body, headers, behaviour }: ApiInput): Answer {
  const refused = headerProblem(headers, id)
  if (refused !== undefined) return refused
  const problem = invalid(body, { maxTokens: true })
  if (problem !== undefined) return anthropicError(400, problem, id)
  const model = body.model as string
  const tools = Array.isArray(body.tools) ? body.tools.map((tool: unknown) => (isJsonObject(tool) && typeof tool.name === 'string' ? tool.name : 'tool')) : []
  const choice = isJsonObject(body.tool_choice) ? body.tool_choice : undefined
  const plan = planAnswer({
    id,
    behaviour,
    promptChars: promptChars(body),
    tools,
    toolChoice: choice?.type === 'none' ? 'none' : choice?.type === 'tool' && typeof choice.name === 'string' ? choice.name : undefined,
    maxTokens: body.max_tokens as number,
    stop: Array.isArray(body.stop_sequences) ? body.stop_sequences.filter((stop: unknown): stop is string => typeof stop === 'string') : undefined,
  })
  const message = { id: `msg_mock_${id}`, type: 'message', role: 'assistant', model }
  if (body.stream !== true) {
    return jsonAnswer(200, { ...message, content: blocks(plan, id), stop_reason: stopReason(plan), stop_sequence: plan.stopSequence ?? null, usage: usage(plan) })
  }
  const events: string[] = []
  const send = (type: string, data: object) => events.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
  send('message_start', { message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage(plan), output_tokens: 1 } } })
  send('ping', {})
  let index = 0
  if (plan.reasoning.length > 0) {
    send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } })
    for (const piece of plan.reasoning) send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } })
    send('content_block_delta', { index, delta: { type: 'signature_delta', signature: `sig_mock_${id}` } })
    send('content_block_stop', { index })
    index++
  }
  if (plan.content.length > 0) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } })
    for (const piece of plan.content) send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } })
    send('content_block_stop', { index })
    index++
  }
  plan.toolCalls.forEach((call, at) => {
    send('content_block_start', { index, content_block: { type: 'tool_use', id: toolId(id, at), name: call.name, input: {} } })
    for (const piece of call.pieces) send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } })
    send('content_block_stop', { index })
    index++
  })
  const middle = Math.max(2, Math.floor(events.length / 2))
  send('message_delta', { delta: { stop_reason: stopReason(plan), stop_sequence: plan.stopSequence ?? null }, usage: { output_tokens: plan.usage.completion } })
  send('message_stop', {})
  const overloaded = `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`
  return { kind: 'sse', events, truncateAt: middle, errorAt: middle, errorEvent: overloaded }
}

function toolId(id: number, at: number): string {
  return `toolu_mock_${id}_${at}`
}

function blocks(plan: AnswerPlan, id: number): object[] {
  const out: object[] = []
  if (plan.reasoning.length > 0) out.push({ type: 'thinking', thinking: plan.reasoning.join(''), signature: `sig_mock_${id}` })
  if (plan.content.length > 0) out.push({ type: 'text', text: plan.content.join('') })
  plan.toolCalls.forEach((call, at) => out.push({ type: 'tool_use', id: toolId(id, at), name: call.name, input: JSON.parse(call.arguments) as unknown }))
  return out
}

function stopReason(plan: AnswerPlan): string {
  if (plan.finish === 'tool_calls') return 'tool_use'
  if (plan.finish === 'length') return 'max_tokens'
  return plan.stopSequence !== undefined ? 'stop_sequence' : 'end_turn'
}

/** Anthropic's input_tokens leave out cache reads. */
function usage(plan: AnswerPlan): object {
  const { prompt, completion, cached } = plan.usage
  return { input_tokens: prompt - cached, cache_creation_input_tokens: 0, cache_read_input_tokens: cached, output_tokens: completion, ...(plan.usage.reasoning > 0 && { output_tokens_details: { thinking_tokens: plan.usage.reasoning } }) }
}
