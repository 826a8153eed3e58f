import type { AnswerListener, TokenUsage } from '../../answers/listener.js'
import { isObject, parseJson, sseDecoder, type SseEvent } from '../decode.js'
import type { AnswerDecoder, UpstreamError } from '../types.js'
import { blockedPrompt, finishReason, ResponseReader, usageOf } from './answer.js'
import { errorOfObject } from './errors.js'

/**
 * Gemini's `streamGenerateContent?alt=sse` read into the answer stream (translation.md §0.1, §3):
 * unnamed `data:` events, each a whole GenerateContentResponse holding the next parts, and no
 * end sentinel. The finish reason comes on the last chunk and usageMetadata is repeated, growing,
 * on many: both are held and given once when the stream ends, which is then a whole answer only if
 * a finish reason was seen. An `error` chunk, or a blocked prompt, fails the answer.
 */
export function geminiStreamDecoder(listener: AnswerListener, fail: (failure: UpstreamError) => void): AnswerDecoder {
  const reader = new ResponseReader(listener)
  let reason: unknown
  let usage: TokenUsage | undefined
  let failed = false

  const onEvent = ({ data }: SseEvent) => {
    if (failed) return
    const chunk = parseJson(data)
    if (!isObject(chunk)) return
    const failure = isObject(chunk.error) ? errorOfObject(chunk.error, 502, undefined) : blockedPrompt(chunk)
    if (failure !== undefined) {
      failed = true
      fail(failure)
      return
    }
    const candidate = reader.read(chunk)
    if (typeof candidate?.finishReason === 'string') reason = candidate.finishReason
    // Repeated on chunks, counts so far: the last wins.
    if (isObject(chunk.usageMetadata)) usage = usageOf(chunk.usageMetadata)
  }

  return sseDecoder(onEvent, () => {
    if (failed || reason === undefined) return 'incomplete'
    listener.finish(0, finishReason(reason, reader.calledTools))
    if (usage !== undefined) listener.usage(usage)
    return 'complete'
  })
}
