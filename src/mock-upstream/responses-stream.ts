import type { StreamAnswer } from './answer.js'
import { STREAM_BROKEN } from './openai-error.js'
import {
  finalStatus,
  functionCallItem,
  hasMessage,
  messageItem,
  outputText,
  reasoningItem,
  reasoningText,
  responseObject,
  type ResponseRender,
} from './responses-output.js'

/**
 * A Responses stream (`"stream": true`): each event is `event: <type>` and its JSON `data` with the
 * same `type` and a `sequence_number` counting from 0. response.created and response.in_progress;
 * then per output item (reasoning, message, function calls) output_item.added, its content part or
 * arguments in one delta per plan piece, their done events, output_item.done; last
 * response.completed, or response.incomplete when max_output_tokens cut the answer, carrying the
 * whole response. No `[DONE]`: the real API sends none on this endpoint. Each event is one write,
 * `chunkDelayMs` apart, as in every other stream the mock sends.
 */
export function responseEvents(r: ResponseRender): StreamAnswer {
  const { plan } = r
  const events: string[] = []
  const send = (type: string, data: object): void => {
    events.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: events.length, ...data })}\n\n`)
  }
  send('response.created', { response: responseObject(r, 'started') })
  send('response.in_progress', { response: responseObject(r, 'started') })
  let outputIndex = 0

  if (plan.reasoning.length > 0) {
    const item = reasoningItem(r, [])
    const at = { item_id: item.id, output_index: outputIndex++, content_index: 0 }
    const text = plan.reasoning.join('')
    send('response.output_item.added', { output_index: at.output_index, item })
    send('response.content_part.added', { ...at, part: reasoningText('') })
    for (const piece of plan.reasoning) send('response.reasoning_text.delta', { ...at, delta: piece })
    send('response.reasoning_text.done', { ...at, text })
    send('response.content_part.done', { ...at, part: reasoningText(text) })
    send('response.output_item.done', { output_index: at.output_index, item: reasoningItem(r, [reasoningText(text)]) })
  }

  if (hasMessage(plan)) {
    const item = messageItem(r, 'in_progress', [])
    const at = { item_id: item.id, output_index: outputIndex++, content_index: 0 }
    const text = plan.content.join('')
    send('response.output_item.added', { output_index: at.output_index, item })
    send('response.content_part.added', { ...at, part: outputText('') })
    for (const piece of plan.content) send('response.output_text.delta', { ...at, delta: piece, logprobs: [] })
    send('response.output_text.done', { ...at, text, logprobs: [] })
    send('response.content_part.done', { ...at, part: outputText(text) })
    send('response.output_item.done', { output_index: at.output_index, item: messageItem(r, finalStatus(plan), [outputText(text)]) })
  }

  plan.toolCalls.forEach((call, index) => {
    const item = functionCallItem(r, call, index, 'in_progress', '')
    const at = { item_id: item.id, output_index: outputIndex++ }
    send('response.output_item.added', { output_index: at.output_index, item })
    for (const piece of call.pieces) send('response.function_call_arguments.delta', { ...at, delta: piece })
    send('response.function_call_arguments.done', { ...at, name: call.name, arguments: call.arguments })
    send('response.output_item.done', { output_index: at.output_index, item: functionCallItem(r, call, index, 'completed', call.arguments) })
  })

  const middle = Math.max(1, Math.floor(events.length / 2))
  send(finalStatus(plan) === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: responseObject(r, 'done') })
  return { kind: 'sse', events, truncateAt: middle, errorAt: middle, errorEvent: brokenEvent(middle) }
}

/**
 * The `error` event a stream broken on purpose ends with. The live API nests OpenAI's error object
 * under `error` (which the SDKs throw on) where its reference documents `code`, `message` and `param`
 * at the top: this event carries both.
 */
function brokenEvent(sequence: number): string {
  const { code, message, param } = STREAM_BROKEN
  return `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: sequence, code, message, param, error: STREAM_BROKEN })}\n\n`
}
