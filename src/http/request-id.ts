import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** An incoming id is kept only when it is short and plain, so it cannot smuggle anything into logs or headers. */
const saneId = /^[A-Za-z0-9._:-]{1,128}$/

export function assignRequestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  return typeof incoming === 'string' && saneId.test(incoming) ? incoming : randomUUID()
}
