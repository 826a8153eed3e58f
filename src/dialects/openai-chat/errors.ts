import type { ClientError } from '../types.js'

/** OpenAI's error envelope, `{ error: { message, type, param, code } }`, which the Responses API shares. */
export function openaiErrorBody(error: ClientError): string {
  return JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code, ...(error.issues !== undefined && { issues: error.issues }) } })
}

/** An OpenAI client's error answer: the status as it is. */
export function openaiErrorAnswer(error: ClientError): { status: number; body: string } {
  return { status: error.status, body: openaiErrorBody(error) }
}

/** A chat stream that broke: one `data:` event with the error (openai-node raises APIError on an `error` key), then the cut. */
export function openaiStreamError(error: ClientError): string {
  return `data: ${openaiErrorBody(error)}\n\n`
}
