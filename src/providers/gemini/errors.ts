import type { IncomingHttpHeaders } from 'node:http'
import { parseRetryAfter } from '../../routing/failover.js'
import { isObject, parseJson } from '../decode.js'
import type { UpstreamError } from '../types.js'

type Mapped = Omit<UpstreamError, 'message' | 'retryAfterMs'>

/**
 * Google's canonical error statuses (google.rpc.Code, as the Gemini API names them in
 * `error.status`) → the status an OpenAI client sees and OpenAI's error type (translation.md §7.4).
 * Gemini's own 5xx mean "try elsewhere", so they keep a server status; UNAVAILABLE is its overload.
 */
const byStatus: Record<string, Mapped> = {
  INVALID_ARGUMENT: { status: 400, type: 'invalid_request_error', code: null },
  FAILED_PRECONDITION: { status: 400, type: 'invalid_request_error', code: null },
  OUT_OF_RANGE: { status: 400, type: 'invalid_request_error', code: null },
  UNAUTHENTICATED: { status: 401, type: 'authentication_error', code: 'invalid_api_key' },
  PERMISSION_DENIED: { status: 403, type: 'permission_error', code: null },
  NOT_FOUND: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  RESOURCE_EXHAUSTED: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  INTERNAL: { status: 502, type: 'server_error', code: 'upstream_error' },
  UNAVAILABLE: { status: 503, type: 'server_error', code: 'overloaded' },
  DEADLINE_EXCEEDED: { status: 504, type: 'server_error', code: 'timeout' },
}

/** The same by HTTP status, for an error body without a known `status` (a proxy's page, a bare code). */
function statusByCode(code: number): string {
  if (code === 401) return 'UNAUTHENTICATED'
  if (code === 403) return 'PERMISSION_DENIED'
  if (code === 404) return 'NOT_FOUND'
  if (code === 429) return 'RESOURCE_EXHAUSTED'
  if (code === 503) return 'UNAVAILABLE'
  if (code === 504) return 'DEADLINE_EXCEEDED'
  return code >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT'
}

/**
 * Google's error object `{code, message, status, details[]}`, from an error answer or from an
 * `error` chunk inside a stream, in OpenAI's terms. Only the upstream's own message is kept: the
 * request is never echoed (forward.ts also hides the key, should a message contain it).
 */
export function errorOfObject(error: Record<string, unknown>, httpStatus: number, retryAfterHeader: number | undefined): UpstreamError {
  const code = typeof error.code === 'number' ? error.code : httpStatus
  const name = typeof error.status === 'string' && error.status in byStatus ? error.status : statusByCode(code)
  const details = Array.isArray(error.details) ? error.details.filter(isObject) : []
  // A bad key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID: as 401 it moves the gateway on to its next key.
  const badKey = details.some((detail) => typeof detail.reason === 'string' && /^API_KEY_(INVALID|EXPIRED)$/.test(detail.reason))
  const mapped = badKey ? byStatus.UNAUTHENTICATED! : byStatus[name]!
  const message = typeof error.message === 'string' && error.message !== '' ? error.message : `The upstream answered ${code}.`
  return { ...mapped, message, retryAfterMs: retryDelayMs(details) ?? retryAfterHeader }
}

/** An error answer (status >= 400): Google's envelope `{"error": {...}}`, or anything else by its status. */
export function geminiError(status: number, headers: IncomingHttpHeaders, body: Buffer): UpstreamError {
  const json = parseJson(body.toString('utf8'))
  // Array-streaming endpoints (no alt=sse) may send the envelope as an array's one element: read it too.
  const envelope = Array.isArray(json) ? (json[0] as unknown) : json
  const error = isObject(envelope) && isObject(envelope.error) ? envelope.error : {}
  return errorOfObject(error, status, parseRetryAfter(headers['retry-after']))
}

/**
 * How long to wait, from a google.rpc.RetryInfo detail: Gemini says it there (`"retryDelay": "37s"`,
 * a protobuf Duration in JSON), not in a Retry-After header.
 */
export function retryDelayMs(details: readonly Record<string, unknown>[]): number | undefined {
  for (const detail of details) {
    if (typeof detail['@type'] !== 'string' || !detail['@type'].endsWith('RetryInfo')) continue
    const match = typeof detail.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay) : null
    if (match !== null) return Math.round(Number(match[1]) * 1000)
  }
  return undefined
}
