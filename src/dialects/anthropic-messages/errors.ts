import type { ClientError } from '../types.js'

/** Anthropic's error types by status (translation.md §2, §7.4); other 4xx are invalid_request_error, 5xx api_error. */
const types: ReadonlyMap<number, string> = new Map([
  [401, 'authentication_error'],
  [402, 'billing_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [413, 'request_too_large'],
  [429, 'rate_limit_error'],
  [529, 'overloaded_error'],
])

/** An overloaded upstream is Anthropic's 529, which its SDK and Claude Code retry as such. */
function isOverload(error: ClientError): boolean {
  return error.code === 'RELAY_ERR_UPSTREAM_OVERLOADED' || (error.status === 503 && error.code === 'overloaded') || error.status === 529
}

/** The status and Anthropic error type an error is answered with; the status is kept except for an overload. */
function statusAndType(error: ClientError): { status: number; type: string } {
  if (isOverload(error)) return { status: 529, type: 'overloaded_error' }
  const type = types.get(error.status) ?? (error.status >= 400 && error.status < 500 ? 'invalid_request_error' : 'api_error')
  return { status: error.status, type }
}

/** `{ type: 'error', error: { type, message }, request_id }`, as Anthropic answers an error. */
export function errorAnswer(error: ClientError): { status: number; body: string } {
  const { status, type } = statusAndType(error)
  const body = { type: 'error', error: { type, message: error.message }, ...(error.requestId !== undefined && { request_id: error.requestId }) }
  return { status, body: JSON.stringify(body) }
}

/** The `error` event that ends a broken stream: the SDK throws it as an APIError of that type. */
export function streamError(error: ClientError): string {
  const data = JSON.stringify({ type: 'error', error: { type: statusAndType(error).type, message: error.message } })
  return `event: error\ndata: ${data}\n\n`
}
