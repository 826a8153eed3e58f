import { unixSeconds, type JsonObject } from './json-body.js'
import type { AnswerPlan, PlannedToolCall } from './plan.js'

/** What a Responses answer is rendered from, plain or streamed. */
export interface ResponseRender {
  /** The mock's request number, used in ids. */
  id: number
  model: string
  body: JsonObject
  plan: AnswerPlan
  /** Whether the behaviour includes usage (`usage: null` otherwise). */
  usage: boolean
  /** Unix seconds, the same in every event of a stream. */
  createdAt: number
}

type ItemStatus = 'in_progress' | 'completed' | 'incomplete'

/** `incomplete` when max_output_tokens cut the answer. */
export function finalStatus(plan: AnswerPlan): 'completed' | 'incomplete' {
  return plan.finish === 'length' ? 'incomplete' : 'completed'
}

/**
 * The `response` object, as a stream's response.created and response.in_progress show it
 * (`started`: in progress, no output, no usage) or finished (`done`), echoing the request's
 * settings the way the real API does.
 */
export function responseObject(r: ResponseRender, phase: 'started' | 'done'): object {
  const { body, plan } = r
  const done = phase === 'done'
  const status = done ? finalStatus(plan) : 'in_progress'
  return {
    id: `resp_mock_${r.id}`,
    object: 'response',
    created_at: r.createdAt,
    status,
    ...(status === 'completed' && { completed_at: unixSeconds() }),
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: r.model,
    output: done ? outputItems(r) : [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: body.reasoning ?? { effort: null, summary: null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage: done && r.usage ? usage(plan) : null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  }
}

/** Every output item of the finished answer: reasoning, the message, the function calls. */
export function outputItems(r: ResponseRender): object[] {
  const { plan } = r
  const items: object[] = []
  if (plan.reasoning.length > 0) items.push(reasoningItem(r, [reasoningText(plan.reasoning.join(''))]))
  if (hasMessage(plan)) items.push(messageItem(r, finalStatus(plan), [outputText(plan.content.join(''))]))
  plan.toolCalls.forEach((call, index) => items.push(functionCallItem(r, call, index, 'completed', call.arguments)))
  return items
}

/** A message item unless the answer is tool calls alone. */
export function hasMessage(plan: AnswerPlan): boolean {
  return plan.content.length > 0 || plan.toolCalls.length === 0
}

export function reasoningItem(r: ResponseRender, content: object[]): JsonObject {
  return { id: `rs_mock_${r.id}`, type: 'reasoning', summary: [], content }
}

export function reasoningText(text: string): object {
  return { type: 'reasoning_text', text }
}

export function messageItem(r: ResponseRender, status: ItemStatus, content: object[]): JsonObject {
  return { id: `msg_mock_${r.id}`, type: 'message', status, role: 'assistant', content }
}

export function outputText(text: string): object {
  return { type: 'output_text', annotations: [], logprobs: [], text }
}

/** `call_id` is the plan's call id (`call_mock_N`), the one chat answers carry. */
export function functionCallItem(r: ResponseRender, call: PlannedToolCall, index: number, status: ItemStatus, args: string): JsonObject {
  return { id: `fc_mock_${r.id}_${index}`, type: 'function_call', status, arguments: args, call_id: call.id, name: call.name }
}

/** The Responses usage object; input tokens include cache reads, output tokens include reasoning. */
function usage(plan: AnswerPlan): object {
  const { prompt, completion, cached, reasoning } = plan.usage
  return {
    input_tokens: prompt,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: completion,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: prompt + completion,
  }
}
