/**
 * An error notice (issue 5 point 5): something an operator should hear about in a chat room.
 * The caller fills it from the request's outcome or the health table; keys are never put in it,
 * but `reason` may carry an upstream's error text, so everything is scrubbed before it leaves.
 */
export interface Notice {
  kind: 'request-failed' | 'upstream-cooldown'
  /** When it happened, epoch milliseconds. */
  time: number
  route?: string
  upstream?: string
  model?: string
  /** The HTTP status the client got (request-failed) or the upstream answered (cooldown). */
  status?: number
  /** e.g. `HTTP 502`, `connect-timeout`, `All 2 upstream attempts failed: a (HTTP 500), b (connect timeout).` */
  reason: string
  requestId?: string
}

export type NoticeKind = Notice['kind']

const headlines: Record<NoticeKind, string> = {
  'request-failed': 'Request failed',
  'upstream-cooldown': 'Upstream in cooldown',
}

/** An upstream error body can be long; a chat message should stay readable. */
const maxFieldLength = 1000

/**
 * Things that look like credentials, replaced wherever they appear. The caller never passes keys,
 * but an upstream may echo the request (some return "Incorrect API key provided: sk-…"), and a
 * message posted to a chat room cannot be taken back.
 */
const secretPatterns: readonly [RegExp, string][] = [
  // OpenAI-style keys (sk-…, sk-proj-…, sk-ant-…); \b keeps words such as "task-force" intact.
  [/\bsk-[A-Za-z0-9_-]{2,}/g, '[redacted key]'],
  // Google API keys and Replicate tokens, the other providers this gateway knows.
  [/\bAIza[0-9A-Za-z_-]{20,}/g, '[redacted key]'],
  [/\br8_[A-Za-z0-9]{20,}/g, '[redacted key]'],
  // Authorization header values (RFC 9110 §11.6.2): keep the scheme, drop the credentials.
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, '$1 [redacted]'],
  // key=…, api-key: …, "access_token": "…" in query strings, headers or JSON echoes.
  [/\b((?:x-)?api[-_]?key|access[-_]?token|key|token)(["']?\s*[:=]\s*["']?)[^\s"',;&}]+/gi, '$1$2[redacted]'],
]

/** Replaces anything that looks like a key or token, and shortens very long text. */
export function scrub(text: string): string {
  let out = text
  for (const [pattern, replacement] of secretPatterns) out = out.replace(pattern, replacement)
  return out.length > maxFieldLength ? `${out.slice(0, maxFieldLength)}…` : out
}

/** A copy of the notice with every text field scrubbed: the generic webhook posts the object itself. */
export function scrubNotice(notice: Notice): Notice {
  const out: Notice = { kind: notice.kind, time: notice.time, reason: scrub(notice.reason) }
  if (notice.route !== undefined) out.route = scrub(notice.route)
  if (notice.upstream !== undefined) out.upstream = scrub(notice.upstream)
  if (notice.model !== undefined) out.model = scrub(notice.model)
  if (notice.status !== undefined) out.status = notice.status
  if (notice.requestId !== undefined) out.requestId = scrub(notice.requestId)
  return out
}

/** ISO 8601 in UTC; a bad time must not make formatting throw (notify never throws). */
export function isoTime(time: number): string {
  return Number.isFinite(time) ? new Date(time).toISOString() : `invalid time (${String(time)})`
}

/**
 * One plain-text message, the same for every notifier: a headline, then one `name: value` line per
 * known field, so it reads well in Feishu and Matrix alike (neither renders the other's markup).
 */
export function formatNotice(notice: Notice): string {
  const clean = scrubNotice(notice)
  const lines = [`[llm-relay] ${headlines[clean.kind] ?? clean.kind}`]
  if (clean.upstream !== undefined) lines.push(`upstream: ${clean.upstream}`)
  if (clean.status !== undefined) lines.push(`status: ${clean.status}`)
  if (clean.model !== undefined) lines.push(`model: ${clean.model}`)
  if (clean.route !== undefined) lines.push(`route: ${clean.route}`)
  lines.push(`reason: ${clean.reason}`)
  lines.push(`time: ${isoTime(clean.time)}`)
  if (clean.requestId !== undefined) lines.push(`request id: ${clean.requestId}`)
  return lines.join('\n')
}
