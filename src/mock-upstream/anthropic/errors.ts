import { jsonAnswer, type BodyAnswer } from '../answer.js'

const typeByStatus: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
}

/** Anthropic's error envelope: `{ type: 'error', error: { type, message }, request_id }`. */
export function anthropicError(status: number, message: string, id: number): BodyAnswer {
  const type = typeByStatus[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error')
  return jsonAnswer(status, { type: 'error', error: { type, message }, request_id: `req_mock_${id}` })
}
