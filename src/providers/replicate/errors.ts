import type { IncomingHttpHeaders } from 'node:http'
import { parseRetryAfter } from '../../routing/failover.js'
import { isObject, parseJson } from '../decode.js'
import type { UpstreamError } from '../types.js'

/**
 * Replicate's errors in OpenAI's terms (translation.md §1, §7.4). Its error answers are RFC 7807
 * problems, `{title, detail, status}`; 422 (input validation) is the client's bad request; a failed
 * prediction or a 5xx is the upstream failing (502), so failover moves on.
 */

const upstreamFailure = { status: 502, type: 'server_error', code: 'upstream_error' }

function mapped(status: number): Omit<UpstreamError, 'message'> {
  if (status === 400 || status === 422) return { status: 400, type: 'invalid_request_error', code: null }
  if (status === 401) return { status, type: 'authentication_error', code: 'invalid_api_key' }
  if (status === 402) return { status, type: 'insufficient_quota', code: 'insufficient_quota' }
  if (status === 403) return { status, type: 'permission_error', code: null }
  if (status === 404) return { status, type: 'invalid_request_error', code: 'model_not_found' }
  if (status === 429) return { status, type: 'rate_limit_error', code: 'rate_limit_exceeded' }
  // Unavailable: as every provider's overload, so a route whose upstreams are all busy says so (503).
  if (status === 503) return { status, type: 'server_error', code: 'overloaded' }
  if (status >= 500) return upstreamFailure
  return { status, type: 'invalid_request_error', code: null }
}

/** An error answer (a problem body) with its status; Retry-After kept. */
export function replicateError(status: number, headers: IncomingHttpHeaders, body: Buffer): UpstreamError {
  const problem = parseJson(body.toString('utf8'))
  return { ...mapped(status), message: problemText(problem) ?? `The upstream answered ${status}.`, retryAfterMs: parseRetryAfter(headers['retry-after']) }
}

/** An `error` event inside a stream (`{"detail": "..."}`): the prediction failed. */
export function streamFailure(data: string): UpstreamError {
  const problem = parseJson(data)
  return { ...upstreamFailure, message: problemText(problem) ?? (data.trim() !== '' ? data : 'The prediction failed.') }
}

/** A problem's detail, else its title; a failed prediction's `error`. */
function problemText(problem: unknown): string | undefined {
  if (!isObject(problem)) return undefined
  for (const field of ['detail', 'title', 'error']) {
    const value = problem[field]
    if (typeof value === 'string' && value !== '') return value
  }
  return undefined
}
