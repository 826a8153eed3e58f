import type { BodyAnswer } from '../answer.js'

const titles: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  402: 'Payment required',
  403: 'Forbidden',
  404: 'Not found',
  422: 'Input validation failed',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
}

/** Replicate's errors: RFC 7807 problems, `{ title, detail, status }` (replicate-go `apierror.go`). */
export function replicateProblem(status: number, detail: string, id: number): BodyAnswer {
  const title = titles[status] ?? (status >= 500 ? 'Server error' : 'Request failed')
  return { kind: 'body', status, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title, detail, status, instance: `/mock/${id}` }) }
}
