import type { AnswerListener, TokenUsage } from '../../answers/listener.js'
import { isObject, parseJson, sseDecoder, type SseEvent } from '../decode.js'
import type { AnswerDecoder, UpstreamError } from '../types.js'
import { finishReason, headOf, usageOf } from './answer.js'
import { streamFailure } from './errors.js'
import { HEAD_EVENT, METRICS_EVENT } from './events.js'

/**
 * Replicate's stream (translation.md §1: `output` events of plain text, then `done`; on failure
 * `error` then `done` with reason error) read into the answer stream, with the two events the
 * exchange adds: the prediction's head first, its metrics after `done`. Output is never trimmed:
 * tokens start with spaces. The finish waits for the end of the stream, after the metrics, since
 * whether the answer ran out of tokens is known only from them.
 */
export function replicateStreamDecoder(listener: AnswerListener, fail: (failure: UpstreamError) => void, maxTokens: number | undefined): AnswerDecoder {
  let started = false
  let done: 'complete' | 'incomplete' | undefined
  let failed = false
  let usage: TokenUsage | undefined

  const start = (prediction: Record<string, unknown>) => {
    if (started) return
    started = true
    listener.start(headOf(prediction))
  }

  const onEvent = ({ name, data }: SseEvent) => {
    if (failed) return
    switch (name) {
      case HEAD_EVENT: {
        const prediction = parseJson(data)
        start(isObject(prediction) ? prediction : {})
        return
      }
      case 'output':
        if (done !== undefined) return
        start({})
        if (data !== '') listener.text(0, data)
        return
      case 'error':
        failed = true
        fail(streamFailure(data))
        return
      case 'done': {
        if (done !== undefined) return
        // `{}` when the prediction succeeded; `{"reason": "canceled"}` or `{"reason": "error"}` when it did not.
        const payload = parseJson(data)
        const reason = isObject(payload) ? payload.reason : undefined
        done = reason === undefined || reason === null || reason === '' ? 'complete' : 'incomplete'
        return
      }
      case METRICS_EVENT:
        usage = usageOf(parseJson(data))
        if (usage !== undefined) listener.usage(usage)
        return
      default:
      // logs, and events added later: nothing to read.
    }
  }

  return sseDecoder(onEvent, () => {
    if (done !== 'complete') return 'incomplete'
    start({})
    listener.finish(0, finishReason(usage, maxTokens))
    return 'complete'
  })
}
