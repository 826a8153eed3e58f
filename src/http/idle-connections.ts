import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Every connection of a server, and whether a request is in progress on it, so that shutdown can
 * close all that are idle. Node's closeIdleConnections() misses connections that never sent a
 * request (measured: two of five such sockets held a SIGTERM until the kill 5 s later, a pre-opened
 * load-balancer connection or a slowloris client would hold it for the whole shutdownTimeout).
 */
export function trackConnections(server: Server): { closeIdle(): void } {
  const open = new Set<Socket>()
  const busy = new Map<Socket, number>()
  server.on('connection', (socket: Socket) => {
    open.add(socket)
    socket.once('close', () => {
      open.delete(socket)
      busy.delete(socket)
    })
  })
  server.on('request', (request, response) => {
    const socket = request.socket
    busy.set(socket, (busy.get(socket) ?? 0) + 1)
    response.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1
      if (left > 0) busy.set(socket, left)
      else busy.delete(socket)
    })
  })
  return {
    closeIdle() {
      server.closeIdleConnections()
      for (const socket of open) if (!busy.has(socket)) socket.destroy()
    },
  }
}
