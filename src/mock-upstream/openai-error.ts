import { jsonAnswer, type BodyAnswer } from './answer.js'

// OpenAI's error `type` and `code` for the statuses clients and gateways treat specially;
// the rest fall back by class (4xx → invalid_request_error, 5xx → server_error).
const known: Readonly<Record<number, readonly [type: string, code: string]>> = {
  401: ['authentication_error', 'invalid_api_key'],
  403: ['permission_error', 'permission_denied'],
  404: ['invalid_request_error', 'not_found'],
  429: ['rate_limit_error', 'rate_limit_exceeded'],
}

export interface ErrorDetails {
  type?: string
  code?: string
  param?: string
}

/** An OpenAI-style error answer: `{ error: { message, type, param, code } }`. */
export function errorAnswer(status: number, message: string, details: ErrorDetails = {}): BodyAnswer {
  const [type, code] = known[status] ?? (status >= 500 ? ['server_error', 'server_error'] : ['invalid_request_error', `http_${status}`])
  return jsonAnswer(status, {
    error: { message, type: details.type ?? type, param: details.param ?? null, code: details.code ?? code },
  })
}

/** The answer to `status` asked for by the behaviour. */
export function statusAnswer(status: number): BodyAnswer {
  return errorAnswer(status, `The mock upstream answered ${status} as its behaviour asked.`)
}

/** The error a stream broken on purpose (`streamError`) carries, in OpenAI's error object. */
export const STREAM_BROKEN = Object.freeze({
  message: 'The mock upstream broke its stream as its behaviour asked.',
  type: 'server_error',
  param: null,
  code: 'server_error',
})

export function invalidRequest(message: string, code: string, param?: string): BodyAnswer {
  return errorAnswer(400, message, { type: 'invalid_request_error', code, ...(param === undefined ? {} : { param }) })
}
