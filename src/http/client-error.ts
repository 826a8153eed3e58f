import type { Socket } from 'node:net'
import { RelayError } from '../errors.js'

interface ParserError extends Error {
  code?: string
  /** The bytes llhttp could not parse: a Buffer from Node (Fastify's typings say otherwise). */
  rawPacket?: unknown
}

const HEAD = Buffer.from('HEAD ')

/** Node's parser errors in the catalogue's terms: too large headers 431, a slow request 408, anything else 400. */
function asRelayError(error: ParserError): RelayError {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new RelayError('RELAY_ERR_HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts.')
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RelayError('RELAY_ERR_REQUEST_TIMEOUT', 'The request did not arrive in time.')
  return new RelayError('RELAY_ERR_BAD_REQUEST', `The request is not valid HTTP/1.1${error.code === undefined ? '' : ` (${error.code})`}.`)
}

/**
 * Answers a request Node's HTTP parser refused (a bad request line or header, a request that is too
 * slow or too large) with OpenAI's error shape, as every other refusal, instead of Fastify's own; then
 * closes the connection, since what follows on it cannot be trusted (as Node and Fastify do).
 */
export function answerClientError(error: ParserError, socket: Socket): void {
  // A reset connection has nobody to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  if (socket.writable) {
    const relayError = asRelayError(error)
    const body = JSON.stringify(relayError.toBody())
    // The answer to a HEAD has no body, even one the parser refused after reading its method.
    const head = Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, HEAD.length).equals(HEAD)
    socket.write(
      `HTTP/1.1 ${relayError.status} ${relayError.status === 431 ? 'Request Header Fields Too Large' : relayError.status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${head ? '' : body}`,
    )
  }
  socket.destroy(error)
}
