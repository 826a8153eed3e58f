import type { AnswerListener } from '../../answers/listener.js'
import { isObject, parseJson, sseDecoder, type SseEvent } from '../decode.js'
import type { AnswerDecoder, UpstreamError } from '../types.js'
import { finishReason, usageOf } from './answer.js'
import { errorOfType } from './errors.js'

/**
 * Anthropic's stream (translation.md §2, in order: message_start, content blocks each as
 * start / deltas / stop, message_delta, message_stop) read into the answer stream. Input tokens come
 * in message_start and output tokens, cumulative, in message_delta: both are held and given once at
 * the end with the finish, after which the client's stream may end. Blocks are mapped by their
 * index to tool-call indexes dense from 0; signatures and unknown blocks or events are skipped.
 */
export function anthropicStreamDecoder(listener: AnswerListener, fail: (failure: UpstreamError) => void): AnswerDecoder {
  const calls = new Map<number, number>()
  const thinking = new Set<number>()
  let usage: Record<string, unknown> = {}
  let stopReason: unknown
  let stopped = false
  let failed = false

  const onEvent = ({ data }: SseEvent) => {
    if (failed || stopped) return
    const event = parseJson(data)
    if (!isObject(event)) return
    switch (event.type) {
      case 'message_start': {
        const message = isObject(event.message) ? event.message : {}
        listener.start({ id: typeof message.id === 'string' ? message.id : '', model: typeof message.model === 'string' ? message.model : '', created: Math.floor(Date.now() / 1000) })
        if (isObject(message.usage)) usage = { ...message.usage }
        return
      }
      case 'content_block_start': {
        const index = typeof event.index === 'number' ? event.index : -1
        const block = isObject(event.content_block) ? event.content_block : {}
        if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
          const call = calls.size
          calls.set(index, call)
          listener.toolCall(0, call, block.id, block.name)
        } else if (block.type === 'thinking') {
          thinking.add(index)
          if (typeof block.thinking === 'string' && block.thinking !== '') listener.reasoning(0, block.thinking)
        } else if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
          listener.text(0, block.text)
        }
        return
      }
      case 'content_block_delta': {
        const index = typeof event.index === 'number' ? event.index : -1
        const delta = isObject(event.delta) ? event.delta : {}
        if (delta.type === 'text_delta' && typeof delta.text === 'string' && delta.text !== '') listener.text(0, delta.text)
        else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string' && delta.thinking !== '') listener.reasoning(0, delta.thinking)
        else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json !== '') {
          const call = calls.get(index)
          if (call !== undefined) listener.toolArguments(0, call, delta.partial_json)
        }
        return
      }
      case 'message_delta': {
        const delta = isObject(event.delta) ? event.delta : {}
        if (delta.stop_reason !== undefined && delta.stop_reason !== null) stopReason = delta.stop_reason
        // Cumulative counts: the latest of each wins.
        if (isObject(event.usage)) for (const [name, value] of Object.entries(event.usage)) if (value !== null) usage[name] = value
        return
      }
      case 'message_stop':
        stopped = true
        listener.finish(0, finishReason(stopReason, calls.size > 0))
        listener.usage(usageOf(usage))
        return
      case 'error': {
        failed = true
        const error = isObject(event.error) ? event.error : {}
        fail(errorOfType(error.type, typeof error.message === 'string' ? error.message : 'The upstream stream failed.', undefined))
        return
      }
      default:
      // ping, and event types added later: nothing to read.
    }
  }
  return sseDecoder(onEvent, () => (stopped ? 'complete' : 'incomplete'))
}
