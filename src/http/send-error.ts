import type { ServerResponse } from 'node:http'
import { openaiChat, type ClientDialect, type ClientError } from '../dialects/index.js'
import type { RelayError } from '../errors.js'

/** A RelayError in the terms every dialect maps from. */
export function clientErrorOf(error: RelayError, requestId?: string): ClientError {
  return { status: error.status, message: error.message, type: error.type, code: error.code, param: error.param ?? null, ...(error.issues !== undefined && { issues: error.issues }), ...(requestId !== undefined && { requestId }) }
}

/** The error body for a RelayError in the client's dialect (OpenAI's unless it speaks another API), its status, and the headers that go with it. */
export function errorHead(error: RelayError, dialect: ClientDialect = openaiChat, requestId?: string): { status: number; headers: Record<string, string>; body: string; closeConnection: boolean } {
  const { status, body } = dialect.errorAnswer(clientErrorOf(error, requestId))
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...error.headers }
  // A body we refused unread would otherwise be parsed as the next request on this connection.
  return { status, headers, body, closeConnection: error.code === 'RELAY_ERR_BODY_TOO_LARGE' }
}

/** Writes a RelayError as OpenAI's error body on a raw response of the gateway's own endpoints; cuts the connection if an answer had already begun. */
export function sendRelayError(res: ServerResponse, error: RelayError, requestId: string, corsOrigin: string | undefined): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const { status, headers, body, closeConnection } = errorHead(error)
  if (closeConnection) headers.connection = 'close'
  headers['x-relay-request-id'] = requestId
  if (corsOrigin !== undefined) headers['access-control-allow-origin'] = corsOrigin
  res.writeHead(status, headers)
  res.end(body)
}
