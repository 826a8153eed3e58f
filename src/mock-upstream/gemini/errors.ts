import { jsonAnswer, type BodyAnswer } from '../answer.js'
import type { MockBehaviour } from '../types.js'

/** google.rpc.Code names by HTTP status, as the Gemini API sends them in `error.status`. */
const statusNames: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
}

const DIGITS = /^\s*\d+\s*$/

/**
 * Google's error envelope: `{ error: { code, message, status, details? } }`. A 429 says when to try
 * again as Gemini does, in a google.rpc.RetryInfo detail (`"retryDelay": "7s"`), taken from the
 * behaviour's retryAfter when the caller passes the behaviour (the request number `_id` has no
 * place in Google's envelope).
 */
export function geminiError(status: number, message: string, _id: number, behaviour?: Pick<MockBehaviour, 'retryAfter'>): BodyAnswer {
  const name = statusNames[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT')
  const error: Record<string, unknown> = { code: status, message, status: name }
  if (status === 429) {
    const details: object[] = [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel' }] }]
    const seconds = retrySeconds(behaviour?.retryAfter)
    if (seconds !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` })
    error.details = details
  }
  return jsonAnswer(status, { error })
}

/** A Retry-After value (seconds or an HTTP date) in whole seconds from now. */
function retrySeconds(retryAfter: string | undefined): number | undefined {
  if (retryAfter === undefined || retryAfter === '') return undefined
  if (DIGITS.test(retryAfter)) return Number(retryAfter)
  const date = Date.parse(retryAfter)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000))
}
