import assert from 'node:assert/strict'
import { createServer } from 'node:net'

/** A TCP port on 127.0.0.1 that was free a moment ago (listened on, then closed). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return address.port
}
