import type { IncomingMessage } from 'node:http'
import { RelayError } from '../errors.js'

/**
 * Reads a request body into one Buffer, refusing it (413) past `limit` bytes: by Content-Length
 * before reading anything, or as soon as the bytes received pass it. Resolves undefined when the
 * request has no body. Bodies are buffered because failover must send the same bytes again.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = request.headers['content-length']
  if (declared === undefined && request.headers['transfer-encoding'] === undefined) return Promise.resolve(undefined)
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        request.resume()
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(new RelayError('RELAY_ERR_BAD_REQUEST', 'The request body could not be read.', { cause: error }))
    }
    const cleanup = () => {
      request.off('data', onData)
      request.off('end', onEnd)
      request.off('error', onError)
    }
    request.on('data', onData)
    request.on('end', onEnd)
    request.on('error', onError)
  })
}

function tooLarge(): RelayError {
  return new RelayError('RELAY_ERR_BODY_TOO_LARGE', 'The request body is larger than the configured limit (server.bodyLimit).')
}
