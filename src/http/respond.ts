import type { ClientError } from '../dialects/index.js'
import type { RelayError } from '../errors.js'
import type { RelayContext } from '../pipeline/context.js'
import { clientResponseHeaders } from '../upstream/headers.js'
import { errorHead } from './send-error.js'

/**
 * The one writer of a relayed request's answer head. Every answer (relayed, translated, replayed
 * from the cache, a preflight, an error) goes out through here, so each carries the request id,
 * CORS and the gateway's own headers (x-ratelimit-*, x-relay-cache, x-relay-dropped-params), and the
 * outcome and timings the records and metrics read are set in one place.
 */
export function writeAnswerHead(ctx: RelayContext, status: number, headers: Readonly<Record<string, string | string[] | undefined>>, closeConnection = false): void {
  ctx.headersAt = performance.now()
  ctx.outcome.status = status
  const out = clientResponseHeaders(headers, ctx.runtime.corsOrigin, ctx.id, ctx.responseHeaders)
  // Hop-by-hop headers of the upstream's are never relayed; this one is the gateway's own.
  if (closeConnection) out.connection = 'close'
  ctx.response.writeHead(status, out)
}

/** A complete answer in one write: head and body. */
export function sendWholeAnswer(ctx: RelayContext, status: number, headers: Readonly<Record<string, string>>, body: string | Buffer): void {
  writeAnswerHead(ctx, status, { ...headers, 'content-length': String(Buffer.byteLength(body)) })
  ctx.firstByteAt = ctx.headersAt
  ctx.response.end(body)
  ctx.outcome.completed = true
}

/** The gateway's own error answer to this request, in the client's dialect (the error's headers included). */
export function sendErrorAnswer(ctx: RelayContext, error: RelayError): void {
  const { status, headers, body, closeConnection } = errorHead(error, ctx.dialect, ctx.id)
  writeAnswerHead(ctx, status, headers, closeConnection)
  ctx.response.end(body)
}

/** An upstream's error in OpenAI's terms (read by its provider), answered in the client's dialect; the upstream key, should the message echo it, is never shown. */
export function sendUpstreamError(ctx: RelayContext, error: ClientError, retryAfterMs: number | undefined): void {
  const { status, body } = ctx.dialect.errorAnswer({ ...error, requestId: ctx.id })
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }
  if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(retryAfterMs / 1000)))
  sendWholeAnswer(ctx, status, headers, body)
}
