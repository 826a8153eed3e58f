import type { IncomingMessage, ServerResponse } from 'node:http'

/** One request being answered: its request and response, and the one timer it may wait on. */
export class Exchange {
  /** The response can no longer be written: the client left or the socket was destroyed. */
  closed = false
  /** The mock ended the connection itself (reset, truncate): not a client abort. */
  destroyedByMock = false
  private timer: NodeJS.Timeout | undefined

  constructor(
    readonly id: number,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {}

  /** Runs `next` after `ms` unless the connection closes first; one timer at a time. */
  after(ms: number, next: () => void): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (!this.closed) next()
    }, ms)
  }

  /** On the response's `close`: no more writes, no timer left behind. */
  markClosed(): void {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  /** `reset` sends a TCP RST (ECONNRESET at the client); otherwise a plain close after what was written. */
  destroySocket(reset: boolean): void {
    this.destroyedByMock = true
    const { socket } = this.req
    if (reset) socket.resetAndDestroy()
    else socket.destroy()
  }
}
