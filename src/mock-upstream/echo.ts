import type { IncomingMessage } from 'node:http'
import type { BodyAnswer } from './answer.js'

/**
 * Paths under /echo: the request body back byte for byte with its content type, plus the method
 * and URL as received, to test that a gateway forwards arbitrary methods and bodies untouched.
 */
export function echoAnswer(req: IncomingMessage, body: Buffer): BodyAnswer {
  const contentType = req.headers['content-type']
  return {
    kind: 'body',
    status: 200,
    ...(contentType === undefined ? {} : { contentType }),
    headers: { 'x-mock-echo-method': req.method ?? '', 'x-mock-echo-url': req.url ?? '' },
    body,
  }
}
