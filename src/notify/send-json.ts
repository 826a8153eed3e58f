import { request } from 'undici'

export interface SendJsonOptions {
  method: 'POST' | 'PUT'
  headers?: Readonly<Record<string, string>>
  /** Ends the request; the dispatcher's timeout (and close()) abort through it. */
  signal?: AbortSignal
}

/** Used when a notifier is called without a signal, so no send can hang forever. */
const fallbackTimeoutMs = 5000

/** The most answer text read: only Feishu's small `{ code, msg }` is ever looked at. */
const maxAnswerChars = 16 * 1024

/**
 * Sends `body` as JSON and returns the answer's text. A status outside 2xx throws an error naming
 * the status only: the URL is not repeated because a Feishu webhook URL is itself the secret.
 */
export async function sendJson(url: string, body: unknown, options: SendJsonOptions): Promise<string> {
  const answer = await request(url, {
    method: options.method,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
    signal: options.signal ?? AbortSignal.timeout(fallbackTimeoutMs),
  })
  if (answer.statusCode < 200 || answer.statusCode > 299) {
    // The body must be consumed or discarded, or undici keeps the connection busy.
    await answer.body.dump()
    throw new Error(`HTTP ${answer.statusCode}`)
  }
  answer.body.setEncoding('utf8')
  let text = ''
  for await (const chunk of answer.body) {
    text += chunk as string
    // Leaving the loop destroys the body: a webhook that answers at length is not read to the end.
    if (text.length > maxAnswerChars) break
  }
  return text
}
