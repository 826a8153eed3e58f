import type { Exchange } from './exchange.js'

/** Enough of an error answer to read its message: longer ones are cut (the rest is still read, so the connection is reused). */
const MAX_ERROR_BYTES = 64 * 1024

/** An error answer's body, read whole up to a bound; undefined when the body broke off (or the attempt was aborted). */
export function readErrorBody(exchange: Exchange): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    exchange.attach({
      data(chunk) {
        if (size < MAX_ERROR_BYTES) chunks.push(chunk.subarray(0, MAX_ERROR_BYTES - size))
        size += chunk.length
        return true
      },
      end: () => resolve(Buffer.concat(chunks)),
      error: () => resolve(undefined),
    })
  })
}
