import type { ServerResponse } from 'node:http'
import type { RelayError } from '../errors.js'

/** OpenAI's error body for a RelayError, and the headers that go with it. */
export function errorHead(error: RelayError): { headers: Record<string, string>; body: string; closeConnection: boolean } {
  const body = JSON.stringify(error.toBody())
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...error.headers }
  // A body we refused unread would otherwise be parsed as the next request on this connection.
  return { headers, body, closeConnection: error.code === 'RELAY_ERR_BODY_TOO_LARGE' }
}

/** Writes a RelayError as OpenAI's error body on a raw response of the gateway's own endpoints; cuts the connection if an answer had already begun. */
export function sendRelayError(res: ServerResponse, error: RelayError, requestId: string, corsOrigin: string | undefined): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const { headers, body, closeConnection } = errorHead(error)
  if (closeConnection) headers.connection = 'close'
  headers['x-relay-request-id'] = requestId
  if (corsOrigin !== undefined) headers['access-control-allow-origin'] = corsOrigin
  res.writeHead(error.status, headers)
  res.end(body)
}
