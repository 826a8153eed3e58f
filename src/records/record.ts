/**
 * One request as the records keep it (issue 5 point 1). A record holds who asked (a key id or hash
 * prefix, never the token), what was tried and how long each part took; content only when the
 * route's log level is `full`, and request headers only after redactHeaders().
 */

/** What content a record kept: nothing, metadata only, or the request and answer too. */
export type RecordLevel = 'none' | 'meta' | 'full'

/** Where the token counts came from: the upstream's usage, counted from the stream, or estimated. */
export type TokensSource = 'upstream' | 'counted' | 'estimate'

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS'

/** One try at one upstream, relayed or not. */
export interface RecordAttempt {
  upstream: string
  /** The upstream's HTTP status, when it answered. */
  status?: number
  /** The failure class when it did not answer usefully, e.g. 'connect-timeout'. */
  error?: string
  durationMs: number
}

export interface RecordContent {
  /** The parsed JSON request body. */
  request?: unknown
  /** The answer's text, assembled from the stream for a streamed answer. */
  response?: string
  toolCalls?: unknown
  /** Request headers, already passed through redactHeaders(). */
  headers?: Record<string, string>
  /** Set when a part could not be stored (e.g. JSON nested too deep to serialise): which part, and why. */
  omitted?: string
}

export interface RequestRecord {
  /** The record's place in its store, for paging; only on records read with `withSeq` (never written). */
  seq?: number
  /** The request id (x-request-id); not unique, since a client may send its own. */
  id: string
  /** Epoch ms at which the request arrived. */
  time: number
  /** The route's path prefix; absent when no route matched. */
  route?: string
  method: string
  path: string
  /** A client key's id or a token hash prefix, never the token itself. */
  clientId?: string
  clientIp?: string
  userAgent?: string
  model?: string
  stream: boolean
  /** The upstream whose answer was relayed. */
  upstream?: string
  /** The API that upstream speaks (openai, anthropic, ...). */
  provider?: string
  /** The model the upstream was asked for, when its model map renamed the client's. */
  upstreamModel?: string
  /** The API the client spoke (openai-chat, anthropic-messages, openai-responses), on endpoints that ask a model for an answer. */
  dialect?: string
  attempts: RecordAttempt[]
  /** The final HTTP status sent to the client. */
  status: number
  /** Ms from arrival to the relayed upstream's response headers. */
  headersMs?: number
  /** Ms from arrival to the first body byte sent to the client. */
  firstByteMs?: number
  /** Ms from arrival to the end of the answer (or the client leaving). */
  totalMs: number
  promptTokens?: number
  completionTokens?: number
  totalTokens?: number
  tokensSource?: TokensSource
  cache?: CacheStatus
  /** The error message, when the request failed. */
  error?: string
  level: RecordLevel
  content?: RecordContent
}

const secretHeaders = new Set(['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'cookie', 'set-cookie'])

// Names providers invent for credentials (x-goog-api-key, x-amz-security-token, x-client-secret, …):
// matching on the part is safer than a list that misses the next one.
const secretNamePart = /key|token|secret/

function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase()
  return secretHeaders.has(lower) || secretNamePart.test(lower)
}

export const REDACTED = '[redacted]'

/**
 * A copy of `headers` that is safe to store: credentials and cookies become `[redacted]`. Accepts
 * Node's IncomingHttpHeaders as they come: repeated headers are joined with ", ", absent ones left out.
 */
export function redactHeaders(headers: Readonly<Record<string, string | readonly string[] | undefined>>): Record<string, string> {
  const safe: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    safe[name] = isSecretHeader(name) ? REDACTED : typeof value === 'string' ? value : value.join(', ')
  }
  return safe
}
