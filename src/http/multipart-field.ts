import { Busboy } from '@fastify/busboy'
import type { IncomingHttpHeaders } from 'node:http'

/**
 * Reads one text field (e.g. `model` of an audio upload) from a buffered multipart body; files are
 * skipped unread. Resolves undefined when the field is absent or the body is not valid multipart.
 */
export function readMultipartField(headers: IncomingHttpHeaders, body: Buffer, field: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let parser: ReturnType<typeof Busboy>
    try {
      parser = Busboy({ headers: headers as IncomingHttpHeaders & { 'content-type': string }, limits: { fieldSize: 1024 } })
    } catch {
      resolve(undefined)
      return
    }
    let found: string | undefined
    parser.on('field', (name, value) => {
      if (name === field && found === undefined) found = value
    })
    parser.on('file', (_name, stream) => stream.resume())
    parser.on('finish', () => resolve(found))
    parser.on('error', () => resolve(found))
    parser.end(body)
  })
}
