import type { ClientError } from '../types.js'

/** OpenAI's error envelope, which the Responses API shares (translation.md §7.4): the status as it is. */
export function errorAnswer(error: ClientError): { status: number; body: string } {
  const { message, type, param, code, issues } = error
  return { status: error.status, body: JSON.stringify({ error: { message, type, param, code, ...(issues !== undefined && { issues }) } }) }
}

/**
 * The error event that ends a Responses stream no writer of this dialect holds (one relayed as it
 * came): its sequence_number is 0, as the gateway does not know how far the stream had counted
 * (openai-node does not check the order). The flat fields are the documented event, the nested
 * `error` what OpenAI sends and what makes openai-node raise (core/streaming.ts).
 */
export function streamError(error: ClientError): string {
  const { message, type, param, code } = error
  return `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: 0, code, message, param, error: { type, code, message, param } })}\n\n`
}
