import type { Socket } from 'node:net'
import { buildConnector } from 'undici'

/** How long a new upstream connection may wait for its first request before it is closed (undici writes one as soon as a connection opens). */
export const UNUSED_SOCKET_TIMEOUT_MS = 1000

/**
 * undici's connector, closing connections that never carry a request.
 *
 * Why: when a streamed answer is aborted (a client left), undici 7 puts the aborted request back in
 * its queue, opens a new connection for it, then drops the request (nodejs/undici#5845, unfixed in
 * 7.x). That connection has no keep-alive timer since it never served an answer, so it stays open
 * until the provider closes it: one idle socket per client that left, held by the gateway. A
 * connection in use (bytes written) is left alone: the per-request timeouts govern it.
 */
export function connectorClosingUnusedSockets(options: buildConnector.BuildOptions, unusedMs = UNUSED_SOCKET_TIMEOUT_MS): buildConnector.connector {
  const connect = buildConnector(options)
  return (target, callback) =>
    connect(target, (...answer) => {
      // A failed connect calls back with the error alone (no socket argument at all).
      if (answer[1]) closeIfNeverUsed(answer[1], unusedMs)
      callback(...answer)
    })
}

function closeIfNeverUsed(socket: Socket, unusedMs: number): void {
  socket.setTimeout(unusedMs, () => {
    // Any request written since: the connection is undici's to keep or close; stop watching it.
    socket.setTimeout(0)
    if (socket.bytesWritten === 0) socket.destroy()
  })
}
