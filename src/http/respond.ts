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

/** The gateway's own error answer to this request, in OpenAI's shape (the error's headers included). */
export function sendErrorAnswer(ctx: RelayContext, error: RelayError): void {
  const { headers, body, closeConnection } = errorHead(error)
  writeAnswerHead(ctx, error.status, headers, closeConnection)
  ctx.response.end(body)
}
