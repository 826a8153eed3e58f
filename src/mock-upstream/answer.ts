import type { JsonObject } from './json-body.js'
import type { MockBehaviour } from './types.js'

/** What a JSON endpoint gets: everything it needs, no sockets. */
export interface EndpointInput {
  /** The mock's request number, used in ids. */
  id: number
  body: JsonObject
  behaviour: MockBehaviour
}

/**
 * What an endpoint wants sent, kept apart from how it is sent (delays, truncation, status
 * overrides live in send.ts), so endpoint code stays pure and testable without sockets.
 */
export interface BodyAnswer {
  kind: 'body'
  status: number
  contentType?: string
  headers?: Readonly<Record<string, string>>
  body: string | Buffer
}

export interface StreamAnswer {
  kind: 'sse'
  /** Complete SSE events (`data: …\n\n`), one `res.write` each. */
  events: readonly string[]
  /** How many events the `truncate` fault sends before destroying the socket. */
  truncateAt: number
  /** With the `streamError` behaviour: how many events go out before `errorEvent`, which ends the stream (in the API's own format). */
  errorAt?: number
  errorEvent?: string
}

export type Answer = BodyAnswer | StreamAnswer

const JSON_TYPE = 'application/json'

export function jsonAnswer(status: number, value: unknown): BodyAnswer {
  return { kind: 'body', status, contentType: JSON_TYPE, body: JSON.stringify(value) }
}

/** For bodies serialised once at start-up. */
export function jsonTextAnswer(status: number, text: string): BodyAnswer {
  return { kind: 'body', status, contentType: JSON_TYPE, body: text }
}

export const SSE_DONE = 'data: [DONE]\n\n'
