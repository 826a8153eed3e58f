import { Busboy } from '@fastify/busboy'
import type { IncomingHttpHeaders } from 'node:http'
import { RelayError } from '../errors.js'

/**
 * Reads one text field (e.g. `model` of an audio upload) from a buffered multipart body; files are
 * skipped unread. Resolves undefined when the field is absent; rejects with RELAY_ERR_BAD_FORM when
 * the body is not a well-formed form (no boundary, a part that ends early, no closing boundary).
 */
export function readMultipartField(headers: IncomingHttpHeaders, body: Buffer, field: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let parser: ReturnType<typeof Busboy>
    try {
      parser = Busboy({ headers: headers as IncomingHttpHeaders & { 'content-type': string }, limits: { fieldSize: 1024 } })
    } catch (error) {
      reject(malformed(error))
      return
    }
    let found: string | undefined
    let failed = false
    const fail = (error: unknown) => {
      if (failed) return
      failed = true
      reject(malformed(error))
    }
    parser.on('field', (name, value) => {
      if (name === field && found === undefined) found = value
    })
    // A file part is an emitter of its own: busboy fails it ("Part terminated early") when the body
    // stops inside it, and an 'error' nobody listens to ends the process (issue 13, point 1).
    parser.on('file', (_name, stream) => stream.on('error', fail).resume())
    parser.on('finish', () => {
      if (!failed) resolve(found)
    })
    parser.on('error', fail)
    parser.end(body)
  })
}

function malformed(error: unknown): RelayError {
  const reason = error instanceof Error ? error.message : String(error)
  return new RelayError('RELAY_ERR_BAD_FORM', `The multipart/form-data body is malformed: ${reason}.`, { cause: error })
}
