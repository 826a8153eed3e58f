import type { IncomingHttpHeaders } from 'node:http'
import { isObject, OpenAIChunkReader, readAnswer } from '../../dialects/openai-chat/read.js'
import { parseRetryAfter } from '../../routing/failover.js'
import { jsonDecoder, parseJson, sseDecoder } from '../decode.js'
import type { AnswerTranslation, UpstreamError } from '../types.js'

/**
 * OpenAI's chat completions read into the answer stream, for a client that speaks another dialect:
 * a stream chunk by chunk (whole once `[DONE]` or a finish reason came), a plain answer whole; an
 * `error` object inside a stream ends it as that error.
 */
export const chatTranslation: AnswerTranslation = {
  decoder({ stream, listener, fail }) {
    if (!stream) {
      return jsonDecoder((json) => {
        if (!isObject(json) || !Array.isArray(json.choices)) return 'incomplete'
        readAnswer(json, listener)
        return 'complete'
      })
    }
    const reader = new OpenAIChunkReader(listener)
    let done = false
    let finished = false
    let failed = false
    return sseDecoder(
      ({ data }) => {
        if (done || failed) return
        if (data === '[DONE]') {
          done = true
          return
        }
        const json = parseJson(data)
        if (!isObject(json)) return
        if (isObject(json.error)) {
          failed = true
          fail(errorOf(json.error, 502, undefined))
          return
        }
        if (Array.isArray(json.choices) && json.choices.some((choice) => isObject(choice) && typeof choice.finish_reason === 'string')) finished = true
        reader.chunk(json)
      },
      () => (done || finished ? 'complete' : 'incomplete'),
    )
  },
  error: openaiError,
}

/** OpenAI's error envelope as it is: the status kept, the type and code from the body. */
export function openaiError(status: number, headers: IncomingHttpHeaders, body: Buffer): UpstreamError {
  const json = parseJson(body.toString('utf8'))
  return errorOf(isObject(json) && isObject(json.error) ? json.error : {}, status, parseRetryAfter(headers['retry-after']))
}

function errorOf(error: Record<string, unknown>, status: number, retryAfterMs: number | undefined): UpstreamError {
  return {
    status,
    message: typeof error.message === 'string' ? error.message : `The upstream answered ${status}.`,
    type: typeof error.type === 'string' ? error.type : status >= 500 ? 'server_error' : 'invalid_request_error',
    code: typeof error.code === 'string' ? error.code : null,
    param: typeof error.param === 'string' ? error.param : null,
    retryAfterMs,
  }
}
