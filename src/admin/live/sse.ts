import type { ServerResponse } from 'node:http'

export interface SseStreamOptions {
  /** Bytes waiting in the socket past which events are dropped for this client; default 1 MiB. */
  maxBufferedBytes?: number
  /** How often a comment line keeps proxies from closing an idle stream; default 15 000 ms. */
  heartbeatMs?: number
  /** A client that read nothing for this long while events were dropped is disconnected; default 120 000 ms. */
  stallMs?: number
}

/**
 * One server-sent-events response (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * A client that reads too slowly does not make the gateway hold its events: past a bound, events are
 * dropped, and when its socket has drained it gets one `gap` event saying how many. Closing is
 * reported once, whether the client left or the server ended the stream.
 */
export class SseStream {
  readonly #res: ServerResponse
  readonly #maxBufferedBytes: number
  readonly #stallMs: number
  readonly #heartbeat: NodeJS.Timeout
  readonly #closeListeners = new Set<() => void>()
  #dropped = 0
  #congestedSince: number | undefined
  #closed = false

  constructor(res: ServerResponse, options: SseStreamOptions = {}) {
    this.#res = res
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024
    this.#stallMs = options.stallMs ?? 120_000
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx buffers proxied answers unless told not to; a buffered stream arrives in lumps.
      'x-accel-buffering': 'no',
      // What the admin app's onSend hook sets on every other answer (a hijacked reply skips it).
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    })
    // How long a browser's EventSource waits before it reconnects (with Last-Event-ID).
    res.write('retry: 3000\n\n')
    // The response's 'close', not the request's: an IncomingMessage may close once its (empty) body is read.
    res.on('close', () => this.#onClose())
    // A socket error ends the stream through 'close'; unheard, it would be thrown.
    res.on('error', () => {})
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs ?? 15_000).unref()
    // The client may have left before the stream opened (its 'close' has then been and gone).
    if (res.destroyed) this.#onClose()
  }

  /** True while events are being dropped for this client. */
  get congested(): boolean {
    return this.#congestedSince !== undefined
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Sends one event; false when it was dropped (the client is gone or reads too slowly). `always`
   * sends it even then: for a small, rare event whose loss the page could not make up for.
   */
  send(event: string, data: unknown, options: { id?: number; always?: boolean } = {}): boolean {
    if (this.#closed || this.#res.destroyed) return false
    if (options.always !== true && this.#congestion()) {
      this.#dropped++
      return false
    }
    const id = options.id === undefined ? '' : `id: ${options.id}\n`
    // JSON.stringify writes no raw newline, so the data is one `data:` line.
    this.#res.write(`event: ${event}\n${id}data: ${JSON.stringify(data)}\n\n`)
    return true
  }

  /** Calls `listener` once when the stream ends, for whichever reason. */
  onClose(listener: () => void): void {
    if (this.#closed) listener()
    else this.#closeListeners.add(listener)
  }

  /** Ends the stream from the server's side (shutdown): at once, whatever the client has not read. */
  close(): void {
    this.#res.destroy()
    this.#onClose()
  }

  /** Whether this client is past the bound; entering it waits for the socket to drain. */
  #congestion(): boolean {
    if (this.#congestedSince !== undefined) return true
    if (this.#res.writableLength <= this.#maxBufferedBytes) return false
    this.#congestedSince = Date.now()
    // A write beyond the high-water mark returned false before the bound was passed, so 'drain' will come.
    this.#res.once('drain', () => this.#drained())
    return true
  }

  #drained(): void {
    this.#congestedSince = undefined
    const dropped = this.#dropped
    this.#dropped = 0
    if (dropped > 0) this.send('gap', { reason: 'slow-client', dropped })
  }

  #beat(): void {
    if (this.#congestedSince === undefined) this.#res.write(': keep-alive\n\n')
    else if (Date.now() - this.#congestedSince > this.#stallMs) this.close()
  }

  #onClose(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#heartbeat)
    for (const listener of this.#closeListeners) listener()
    this.#closeListeners.clear()
  }
}
