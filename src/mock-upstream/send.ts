import type { OutgoingHttpHeaders } from 'node:http'
import type { Answer, BodyAnswer, StreamAnswer } from './answer.js'
import type { Exchange } from './exchange.js'
import type { MockBehaviour } from './types.js'

// Every header goes through one writeHead call: a prior res.setHeader sends Node down its slow
// path (per-header validation and merging), which measured about 18 µs per request.

/**
 * Writes an endpoint's answer under the behaviour: a success answer takes the behaviour's status
 * (e.g. 201), Retry-After is added when set, and `truncate` cuts the body or stream in half and
 * then destroys the socket.
 */
export function sendAnswer(ex: Exchange, answer: Answer, behaviour: MockBehaviour): void {
  const headers = baseHeaders(ex, behaviour.retryAfter)
  if (behaviour.fault === 'flood') return sendFlood(ex, headers)
  if (behaviour.fault === 'malformed') answer = malformed(answer)
  const truncate = behaviour.fault === 'truncate'
  if (answer.kind === 'sse') sendStream(ex, answer, behaviour.status, headers, behaviour.chunkDelayMs, truncate, behaviour.streamError)
  else sendBody(ex, answer, answer.status === 200 ? behaviour.status : answer.status, headers, truncate)
}

/** Writes an answer as it is, free of any behaviour (health checks, invalid overrides). */
export function sendPlain(ex: Exchange, answer: BodyAnswer): void {
  sendBody(ex, answer, answer.status, baseHeaders(ex, undefined), false)
}

function baseHeaders(ex: Exchange, retryAfter: string | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { 'x-mock-request-id': ex.id, 'x-request-id': `req_mock_${ex.id}` }
  if (retryAfter) headers['retry-after'] = retryAfter
  return headers
}

function sendBody(ex: Exchange, answer: BodyAnswer, status: number, headers: OutgoingHttpHeaders, truncate: boolean): void {
  const { res } = ex
  const { body } = answer
  // RFC 9110 §6.4.1: 204 and 304 answers have no content, whatever the endpoint produced.
  if (status === 204 || status === 304) {
    res.writeHead(status, headers)
    res.end()
    return
  }
  headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length
  if (answer.contentType !== undefined) headers['content-type'] = answer.contentType
  if (answer.headers !== undefined) Object.assign(headers, answer.headers)
  res.writeHead(status, headers)
  if (!truncate) {
    res.end(body)
    return
  }
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  // Destroy only once the half is flushed, or the client might not see it before the close.
  res.write(bytes.subarray(0, bytes.length >> 1), () => ex.destroySocket(false))
}

/** One `res.write` per event, `delayMs` apart, so a client sees real gaps between chunks. */
function sendStream(
  ex: Exchange,
  answer: StreamAnswer,
  status: number,
  headers: OutgoingHttpHeaders,
  delayMs: number,
  truncate: boolean,
  streamError: boolean,
): void {
  const { res } = ex
  // A stream broken on purpose: the API's error event halfway, then a clean end (as the providers do).
  const events = streamError && answer.errorEvent !== undefined ? [...answer.events.slice(0, answer.errorAt ?? 1), answer.errorEvent] : answer.events
  const end = truncate ? Math.min(answer.truncateAt, events.length) : events.length
  headers['content-type'] = 'text/event-stream; charset=utf-8'
  headers['cache-control'] = 'no-cache'
  res.writeHead(status, headers)
  res.flushHeaders()
  let next = 0
  const step = (): void => {
    if (ex.closed || res.destroyed) return
    while (next < end) {
      res.write(events[next++] ?? '')
      if (delayMs > 0 && next < end) {
        ex.after(delayMs, step)
        return
      }
    }
    if (truncate) res.write('', () => ex.destroySocket(false))
    else res.end()
  }
  step()
}

/** The answer with every SSE event's JSON (or the JSON body) cut in half: what a broken upstream sends. */
function malformed(answer: Answer): Answer {
  const halve = (text: string) => text.slice(0, Math.max(1, text.length >> 1))
  if (answer.kind === 'sse') {
    return { ...answer, events: answer.events.map((event) => (event.startsWith('data: {') ? `${halve(event.trimEnd())}\n\n` : event)) }
  }
  const body = typeof answer.body === 'string' ? answer.body : answer.body.toString('utf8')
  return { ...answer, body: halve(body) }
}

const FLOOD_BYTES = 256 * 1024 * 1024
const FLOOD_PIECE = Buffer.alloc(64 * 1024, 0x61)

/** A 256 MB JSON answer (one long content string), written with the client's backpressure. */
function sendFlood(ex: Exchange, headers: OutgoingHttpHeaders): void {
  const { res } = ex
  const head = Buffer.from(`{"id":"chatcmpl-mock-${ex.id}","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"`)
  const tail = Buffer.from('"},"finish_reason":"stop"}]}')
  headers['content-type'] = 'application/json'
  headers['content-length'] = head.length + FLOOD_BYTES + tail.length
  res.writeHead(200, headers)
  res.write(head)
  let sent = 0
  const more = (): void => {
    while (sent < FLOOD_BYTES && !ex.closed && !res.destroyed) {
      sent += FLOOD_PIECE.length
      if (!res.write(FLOOD_PIECE)) {
        res.once('drain', more)
        return
      }
    }
    if (!ex.closed && !res.destroyed) res.end(tail)
  }
  more()
}
