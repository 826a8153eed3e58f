/**
 * Calls between the primary and one worker over the cluster's IPC channel (issue 17 point 1). Both
 * ends are the same: call(method, argument) → a promise of the other end's answer, handle(method, fn)
 * to answer. Hand-written because the channel is already there (cluster's process.send) and the
 * protocol is four fields; an RPC library would add a dependency for them.
 */

/** What carries messages: a worker's `process`, or the primary's `cluster.Worker` of one worker. */
export interface Channel {
  send(message: unknown): unknown
  on(event: 'message', listener: (message: unknown) => void): unknown
  off(event: 'message', listener: (message: unknown) => void): unknown
  isConnected(): boolean
}

type Handler = (argument: never) => unknown

interface Call {
  relay: 'call'
  id: number
  method: string
  argument: unknown
}

interface Reply {
  relay: 'reply'
  id: number
  ok: boolean
  value?: unknown
  /** The error's message when !ok (only the message crosses: never a stack with paths of the other process). */
  problem?: string
}

/** A push without an answer: `send` on one end, `handle` on the other. */
interface Push {
  relay: 'push'
  method: string
  argument: unknown
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout | undefined
}

export class LinkClosedError extends Error {
  constructor(method: string) {
    super(`the cluster link closed before ${method} was answered`)
    this.name = 'LinkClosedError'
  }
}

export class Link {
  readonly #channel: Channel
  readonly #handlers = new Map<string, Handler>()
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #closed = false
  readonly #listener = (message: unknown) => this.#receive(message)

  constructor(channel: Channel) {
    this.#channel = channel
    channel.on('message', this.#listener)
  }

  /**
   * Asks the other end; rejects after `timeoutMs` (none when 0: a wait for a cache single flight may
   * last as long as a stream), or at once when the link is closed.
   */
  call<T>(method: string, argument: unknown = null, timeoutMs = 5000): Promise<T> {
    if (this.#closed || !this.#channel.isConnected()) return Promise.reject(new LinkClosedError(method))
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.#pending.delete(id)
              reject(new Error(`the cluster link did not answer ${method} within ${timeoutMs} ms`))
            }, timeoutMs)
          : undefined
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer })
      this.#send({ relay: 'call', id, method, argument } satisfies Call)
    })
  }

  /** Tells the other end something that needs no answer. */
  send(method: string, argument: unknown = null): void {
    if (this.#closed || !this.#channel.isConnected()) return
    this.#send({ relay: 'push', method, argument } satisfies Push)
  }

  /** Answers `method` with what `handler` returns (or its promise); a throw becomes the caller's rejection. */
  handle<A, R>(method: string, handler: (argument: A) => R | Promise<R>): this {
    this.#handlers.set(method, handler as Handler)
    return this
  }

  /** Stops listening and fails every call still waiting. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#channel.off('message', this.#listener)
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer)
      pending.reject(new LinkClosedError(`call ${id}`))
    }
    this.#pending.clear()
  }

  #send(message: Call | Reply | Push): void {
    try {
      this.#channel.send(message)
    } catch (error) {
      // The channel closed under us (the other process is exiting): the call fails like a closed link.
      if (message.relay === 'call') this.#settle(message.id, false, undefined, (error as Error).message)
    }
  }

  #receive(message: unknown): void {
    if (typeof message !== 'object' || message === null || !('relay' in message)) return
    const kind = (message as { relay: unknown }).relay
    if (kind === 'reply') {
      const reply = message as Reply
      this.#settle(reply.id, reply.ok, reply.value, reply.problem)
    } else if (kind === 'call') {
      void this.#answer(message as Call)
    } else if (kind === 'push') {
      const push = message as Push
      const handler = this.#handlers.get(push.method)
      try {
        void handler?.(push.argument as never)
      } catch {
        // A push has nobody to tell; its handler reports its own trouble.
      }
    }
  }

  async #answer(call: Call): Promise<void> {
    const handler = this.#handlers.get(call.method)
    let reply: Reply
    try {
      if (handler === undefined) throw new Error(`no handler for ${call.method}`)
      reply = { relay: 'reply', id: call.id, ok: true, value: await handler(call.argument as never) }
    } catch (error) {
      reply = { relay: 'reply', id: call.id, ok: false, problem: error instanceof Error ? error.message : String(error) }
    }
    if (!this.#closed && this.#channel.isConnected()) this.#send(reply)
  }

  #settle(id: number, ok: boolean, value: unknown, problem: string | undefined): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#pending.delete(id)
    clearTimeout(pending.timer)
    if (ok) pending.resolve(value)
    else pending.reject(new Error(problem ?? 'the cluster link call failed'))
  }
}
