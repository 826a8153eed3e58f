/**
 * The table of which upstream answers move a request on to the next candidate. Transport
 * failures (connect error, reset, timeout before headers) always do; statuses decide here.
 */
export type StatusVerdict =
  /** Relay the answer to the client as it is. */
  | 'relay'
  /** The upstream is unwell: try the next one and count a failure against it. */
  | 'next-upstream'
  /** Our key was refused or rate-limited: try the next one and rest that key. */
  | 'next-key'

export function judgeStatus(status: number, usedOwnKey: boolean): StatusVerdict {
  if (status < 400) return 'relay'
  if (status === 429) return 'next-key'
  // A 401/403 is about our key only when we chose it; with the client's own key it is the client's answer.
  if ((status === 401 || status === 403) && usedOwnKey) return 'next-key'
  if (status >= 500) return 'next-upstream'
  // 400, 404, 413, 422 and the rest: the client's request is at fault; another upstream would say the same.
  return 'relay'
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
