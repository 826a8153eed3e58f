import { EventEmitter } from 'node:events'
import { Redis } from 'ioredis'

/**
 * One Redis connection for a storage backend: how it is opened so that a dead or slow Redis fails
 * a command fast instead of hanging a request, whether it is up now, and the error callers get.
 * Whether to admit or refuse when Redis is unavailable is the caller's policy (issue 3 point 5:
 * fail-open or fail-closed), not decided here; nothing here logs (no logger in storage).
 */

/** Thrown (as a rejection) for every failed round trip: down, slow, or refusing the command. */
export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE'
  constructor(reason: string, options?: ErrorOptions) {
    super(`Redis is unavailable: ${reason}`, options)
    this.name = 'RedisUnavailableError'
  }
}

export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` URL of a connection this object opens and closes. */
  url?: string
  /** An ioredis client the caller opened; it stays open on close(), and keeps its own options. */
  client?: Redis
  /** The longest a round trip may take, waiting for a first connection included. */
  commandTimeoutMs: number
}

/** Transitions of `healthy`, for a caller that logs once per interval rather than per request. */
export interface RedisConnectionEvents {
  available: []
  unavailable: [error: Error]
}

/** Reconnect after 50, 100, 200 … ms, never waiting more than a second between attempts. */
function retryDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt - 1, 10), 1000)
}

function openClient(url: string, commandTimeoutMs: number): Redis {
  return new Redis(url, {
    // With no offline queue, a command sent while disconnected is refused at once; with the default
    // queue it would wait for a reconnect that may be minutes away.
    enableOfflineQueue: false,
    // Never resend a command after a reconnect: it may have run already, and a resent consume would
    // count a request twice.
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(1000, commandTimeoutMs * 5),
    retryStrategy: retryDelay,
  })
}

type State = 'starting' | 'available' | 'unavailable'

export class RedisConnection extends EventEmitter<RedisConnectionEvents> {
  readonly client: Redis
  readonly #ownsClient: boolean
  readonly #commandTimeoutMs: number
  #state: State
  #lastError: Error | undefined
  #closed = false
  #firstAttempt: Promise<void> | undefined
  readonly #listeners: { event: 'ready' | 'close' | 'end' | 'error'; listener: (error?: Error) => void }[]

  constructor(options: RedisConnectionOptions) {
    super()
    this.#commandTimeoutMs = options.commandTimeoutMs
    this.#ownsClient = options.client === undefined
    this.client = options.client ?? openClient(options.url ?? 'redis://127.0.0.1:6379', options.commandTimeoutMs)
    this.#state = this.client.status === 'ready' ? 'available' : 'starting'
    this.#listeners = [
      { event: 'ready', listener: () => this.#setState('available') },
      { event: 'close', listener: () => this.#setState('unavailable') },
      { event: 'end', listener: () => this.#setState('unavailable') },
      // Without an 'error' listener ioredis prints every failed reconnect to the console.
      { event: 'error', listener: (error) => (this.#lastError = error) },
    ]
    for (const { event, listener } of this.#listeners) this.client.on(event, listener)
  }

  /** True while the connection is ready for commands (read from ioredis, ahead of the events it emits on the next tick). */
  get healthy(): boolean {
    return !this.#closed && this.client.status === 'ready'
  }

  /**
   * Runs one round trip within commandTimeoutMs. Right after start, it first waits (within the same
   * time) for the connection to be ready; once Redis has been seen down, it fails at once.
   */
  async run<T>(send: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new RedisUnavailableError('the store is closed')
    // Once connected, ioredis' own commandTimeout bounds each command: no second timer and race per call.
    if (this.#state === 'available' && this.#ownsClient) {
      try {
        return await send()
      } catch (error) {
        const cause = error instanceof Error ? error : new Error(String(error))
        throw new RedisUnavailableError(cause.message, { cause })
      }
    }
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisUnavailableError(`no answer within ${this.#commandTimeoutMs} ms (commandTimeoutMs)`)),
        this.#commandTimeoutMs,
      )
    })
    try {
      if (this.#state === 'starting') await Promise.race([this.#firstConnection(), timeout])
      const sent = send()
      // A late answer or error after the timeout must not become an unhandled rejection.
      sent.catch(() => {})
      return await Promise.race([sent, timeout])
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error
      const cause = error instanceof Error ? error : new Error(String(error))
      throw new RedisUnavailableError(cause.message, { cause })
    } finally {
      clearTimeout(timer)
    }
  }

  /** Quits a client this object opened; a client the caller passed in is left open. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // Our 'error' listener stays on a client we opened: a failing quit must not reach the console.
    for (const { event, listener } of this.#listeners) if (!this.#ownsClient || event !== 'error') this.client.off(event, listener)
    if (!this.#ownsClient) return
    if (this.client.status === 'ready') {
      try {
        await this.client.quit()
        return
      } catch {
        // Fall through: a quit that fails leaves nothing to be polite to.
      }
    }
    this.client.disconnect()
  }

  /** Settles once the first connection attempt is ready or has failed; shared by every waiting call. */
  #firstConnection(): Promise<void> {
    this.#firstAttempt ??= new Promise<void>((resolve, reject) => {
      const settle = () => {
        this.off('available', settle)
        this.off('unavailable', settle)
        if (this.#state === 'available') resolve()
        else reject(new RedisUnavailableError(this.#lastError?.message ?? 'connection failed', { cause: this.#lastError }))
      }
      this.on('available', settle)
      this.on('unavailable', settle)
      // A passed-in client created with lazyConnect connects on its first command; this waits first.
      if (this.client.status === 'wait') this.client.connect().catch(() => {})
    })
    return this.#firstAttempt
  }

  #setState(state: State): void {
    if (state === this.#state) return
    this.#state = state
    if (state === 'available') this.emit('available')
    else this.emit('unavailable', this.#lastError ?? new Error('connection closed'))
  }
}
