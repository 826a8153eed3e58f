import type { ServerResponse } from 'node:http'
import type { RelayError } from '../errors.js'

/** Writes a RelayError as OpenAI's error body on a raw response; cuts the connection if an answer had already begun. */
export function sendRelayError(res: ServerResponse, error: RelayError, requestId: string, corsOrigin: string | undefined): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = JSON.stringify(error.toBody())
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-relay-request-id': requestId,
    ...error.headers,
  }
  if (corsOrigin !== undefined) headers['access-control-allow-origin'] = corsOrigin
  // A body we refused unread would otherwise be parsed as the next request on this connection.
  if (error.code === 'RELAY_ERR_BODY_TOO_LARGE') headers.connection = 'close'
  res.writeHead(error.status, headers)
  res.end(body)
}
