import type { IncomingHttpHeaders } from 'node:http'
import { parseRetryAfter } from '../../routing/failover.js'
import { isObject, parseJson } from '../decode.js'
import type { UpstreamError } from '../types.js'

/** Anthropic's error types → the status an OpenAI client sees and OpenAI's error type (translation.md §7.4). */
const byType: Record<string, { status: number; type: string; code: string | null }> = {
  invalid_request_error: { status: 400, type: 'invalid_request_error', code: null },
  authentication_error: { status: 401, type: 'authentication_error', code: 'invalid_api_key' },
  billing_error: { status: 402, type: 'insufficient_quota', code: 'insufficient_quota' },
  permission_error: { status: 403, type: 'permission_error', code: null },
  not_found_error: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  request_too_large: { status: 413, type: 'invalid_request_error', code: 'request_too_large' },
  rate_limit_error: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  api_error: { status: 502, type: 'server_error', code: 'upstream_error' },
  overloaded_error: { status: 503, type: 'server_error', code: 'overloaded' },
}

/** An Anthropic error by its type (an error answer, or an `error` event inside a stream). */
export function errorOfType(type: unknown, message: string, retryAfterMs: number | undefined): UpstreamError {
  const mapped = (typeof type === 'string' ? byType[type] : undefined) ?? byType.api_error!
  return { ...mapped, message, retryAfterMs }
}

/** `{"type":"error","error":{"type","message"}}` with its status; the type decides, the status when the body says nothing. */
export function anthropicError(status: number, headers: IncomingHttpHeaders, body: Buffer): UpstreamError {
  const json = parseJson(body.toString('utf8'))
  const error = isObject(json) && isObject(json.error) ? json.error : undefined
  const retryAfterMs = parseRetryAfter(headers['retry-after'])
  const message = typeof error?.message === 'string' ? error.message : `The upstream answered ${status}.`
  if (typeof error?.type === 'string' && error.type in byType) return errorOfType(error.type, message, retryAfterMs)
  return errorOfType(typeByStatus(status), message, retryAfterMs)
}

function typeByStatus(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 413) return 'request_too_large'
  if (status === 429) return 'rate_limit_error'
  if (status === 529) return 'overloaded_error'
  return status >= 500 ? 'api_error' : 'invalid_request_error'
}
