import { EventEmitter } from 'node:events'
import type { Redis, Result } from 'ioredis'
import type { ConsumeResult, CounterStore, WindowLimit, WindowState, WindowStrategy } from '../types.js'
import { RedisConnection, type RedisConnectionEvents } from './connection.js'
import { adjustLua, consumeManyLua } from './scripts.js'

// ioredis' documented way to type commands made with defineCommand.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    llmRelayConsumeMany(numberOfKeys: number, ...keysAndArgs: string[]): Result<number[][], Context>
    llmRelayAdjust(numberOfKeys: number, ...keysAndArgs: string[]): Result<number, Context>
  }
}

export interface RedisCounterStoreOptions {
  /** Redis to open, default redis://127.0.0.1:6379. Give `url` or `client`, not both. */
  url?: string
  /** An ioredis client to use; it stays open on close(), and its own queue and retry options apply. */
  client?: Redis
  /** Put before every key, so that several gateways or tests can share one Redis. */
  keyPrefix?: string
  /** The longest one consume or adjust may take before it rejects: a slow Redis must not hang requests. */
  commandTimeoutMs?: number
}

const strategyTags = { 'fixed-window': 'fw', 'moving-window': 'mw', 'fixed-window-elastic-expiry': 'ee' } satisfies Record<WindowStrategy, string>

function checkOptions(options: RedisCounterStoreOptions): void {
  if (options.url !== undefined && options.client !== undefined) {
    throw new TypeError('RedisCounterStore: give either options.url or options.client, not both')
  }
  if (options.url !== undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    throw new TypeError(`RedisCounterStore: options.url must be a redis:// or rediss:// URL (got ${String(options.url)})`)
  }
  if (options.client !== undefined && (typeof options.client !== 'object' || typeof options.client.defineCommand !== 'function')) {
    throw new TypeError('RedisCounterStore: options.client must be an ioredis client')
  }
  if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string') {
    throw new TypeError('RedisCounterStore: options.keyPrefix must be a string')
  }
  const timeout = options.commandTimeoutMs
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 60_000)) {
    throw new RangeError(`RedisCounterStore: options.commandTimeoutMs must be an integer from 1 to 60000 (got ${String(timeout)})`)
  }
}

function checkLimits(limits: readonly WindowLimit[]): void {
  for (const { key, limit, windowMs } of limits) {
    if (typeof key !== 'string' || key === '') throw new TypeError('RedisCounterStore: a limit key must be a non-empty string')
    if (!Number.isFinite(limit) || limit < 0) {
      throw new RangeError(`RedisCounterStore: limit of "${key}" must be a finite number >= 0 (got ${limit})`)
    }
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new RangeError(`RedisCounterStore: windowMs of "${key}" must be a positive integer (got ${windowMs})`)
    }
  }
}

/**
 * CounterStore on Redis, shared by every gateway instance that uses the same Redis and prefix.
 * Each consume and each adjust is decided in a script (scripts.ts), atomic across all the limits of
 * the call, so concurrent instances never admit past a limit; consumes waiting together share one
 * script run and one round trip (ConsumeBatch).
 *
 * Time is the caller's `now` (default Date.now()), sent to the script, not Redis TIME: key names
 * depend on the window index, and a script must be given its keys up front, so the clock has to be
 * read before the call anyway; it also makes this store agree with the memory store and keeps
 * tests deterministic. Instances must therefore keep their clocks in sync (NTP): an instance s ms
 * ahead opens the next fixed window s ms early, so around a boundary it can admit up to one more
 * window's worth for those s ms.
 *
 * Failures (Redis down, slower than commandTimeoutMs, refusing the command) reject with
 * RedisUnavailableError; the caller applies its fail-open or fail-closed policy. `healthy` and the
 * 'available' / 'unavailable' events report connection changes, so the caller can log once.
 */
export class RedisCounterStore extends EventEmitter<RedisConnectionEvents> implements CounterStore {
  readonly #connection: RedisConnection
  readonly #prefix: string
  readonly #batch: ConsumeBatch

  constructor(options: RedisCounterStoreOptions = {}) {
    super()
    checkOptions(options)
    this.#prefix = options.keyPrefix ?? 'llm-relay:rl:'
    this.#connection = new RedisConnection({ url: options.url, client: options.client, commandTimeoutMs: options.commandTimeoutMs ?? 200 })
    this.#connection.on('available', () => this.emit('available'))
    this.#connection.on('unavailable', (error) => this.emit('unavailable', error))
    // Defining on the client makes ioredis send EVALSHA, falling back to EVAL once per connection.
    this.#connection.client.defineCommand('llmRelayConsumeMany', { lua: consumeManyLua })
    this.#connection.client.defineCommand('llmRelayAdjust', { lua: adjustLua })
    this.#batch = new ConsumeBatch(this.#connection.client, options.commandTimeoutMs ?? 200)
  }

  /** True while the connection to Redis is ready. */
  get healthy(): boolean {
    return this.#connection.healthy
  }

  async consume(limits: readonly WindowLimit[], amount: number, strategy: WindowStrategy, now = Date.now()): Promise<ConsumeResult> {
    checkLimits(limits)
    if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`RedisCounterStore: amount must be a finite number >= 0 (got ${amount})`)
    if (limits.length === 0) return { admitted: true, states: [], retryAfterMs: 0 }
    const { keys, args } = this.#scriptInput(limits, amount, strategy, now)
    const reply = await this.#connection.run(() => this.#batch.send(keys, args))
    const states: WindowState[] = limits.map(({ limit }, i) => ({
      limit,
      remaining: Number(reply[2 + 2 * i]),
      resetAt: Number(reply[3 + 2 * i]),
    }))
    return { admitted: reply[0] === 1, states, retryAfterMs: Number(reply[1]) }
  }

  async adjust(limits: readonly WindowLimit[], delta: number, strategy: WindowStrategy, now = Date.now()): Promise<void> {
    checkLimits(limits)
    if (!Number.isFinite(delta)) throw new RangeError(`RedisCounterStore: delta must be a finite number (got ${delta})`)
    if (limits.length === 0 || delta === 0) return
    const { keys, args } = this.#scriptInput(limits, delta, strategy, now)
    await this.#connection.run(() => this.#connection.client.llmRelayAdjust(keys.length, ...keys, ...args))
  }

  async close(): Promise<void> {
    await this.#connection.close()
  }

  /**
   * Keys name the strategy and the window size, so two limits on one key with different windows
   * (60/minute;600/hour) never share a counter, and strategies never meet on one Redis type.
   * Fixed and moving windows add the window index: a new window is a new key, and the old one
   * expires on its own.
   */
  #scriptInput(limits: readonly WindowLimit[], amount: number, strategy: WindowStrategy, now: number): { keys: string[]; args: string[] } {
    if (!Number.isFinite(now)) throw new RangeError(`RedisCounterStore: now must be a finite epoch time in ms (got ${now})`)
    const tag = strategyTags[strategy]
    if (tag === undefined) throw new TypeError(`RedisCounterStore: unknown strategy ${String(strategy)}`)
    const keys: string[] = []
    const args = [strategy, String(now), String(amount)]
    for (const { key, limit, windowMs } of limits) {
      const base = `${this.#prefix}${key}:${tag}:${windowMs}`
      const index = Math.floor(now / windowMs)
      if (strategy === 'fixed-window') keys.push(`${base}:${index}`)
      else if (strategy === 'moving-window') keys.push(`${base}:${index - 1}`, `${base}:${index}`)
      else keys.push(base)
      args.push(String(limit), String(windowMs))
    }
    return { keys, args }
  }
}

interface QueuedConsume {
  keys: string[]
  args: string[]
  resolve: (reply: number[]) => void
  reject: (error: unknown) => void
}

/** The most consumes one script run decides: a longer run would hold Redis (single-threaded) for every other client. */
const MAX_CONSUMES_PER_RUN = 256

/**
 * Consumes go to Redis in batches, with at most one batch in flight: those asked for while one is
 * out wait for its answer and then go together as the next, so under load each write and each read
 * on the socket carries many consumes. A batch is one run of consumeManyLua (per 256 consumes):
 * measured at c=64, a script run and an ioredis command per request cost the gateway and Redis more
 * than the rest of the limiter. An idle store sends at once, at the end of the current turn of the
 * event loop (setImmediate, so that consumes of one turn share a batch too). Each consume is still
 * decided on its own, atomically.
 */
class ConsumeBatch {
  #queue: QueuedConsume[] = []
  #scheduled = false
  #inFlight = false

  constructor(
    private readonly client: Redis,
    /** A batch that has not answered in this long fails all its consumes (one timer per batch, not per request). */
    private readonly timeoutMs: number,
  ) {}

  send(keys: string[], args: string[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ keys, args, resolve, reject })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight || this.#queue.length === 0) return
    this.#scheduled = true
    setImmediate(this.#flush)
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    const batch = this.#queue
    this.#queue = []
    this.#inFlight = true
    let settled = false
    // The next batch goes once this one answered or timed out, whichever comes first.
    const done = (): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      this.#inFlight = false
      this.#schedule()
    }
    // Settling a promise twice is a no-op: whichever comes first, the answer or the timeout, decides.
    const timer = setTimeout(() => {
      for (const item of batch) item.reject(new Error(`Command timed out (${this.timeoutMs} ms)`))
      done()
    }, this.timeoutMs)
    const runs: Promise<void>[] = []
    for (let from = 0; from < batch.length; from += MAX_CONSUMES_PER_RUN) runs.push(this.#run(batch.slice(from, from + MAX_CONSUMES_PER_RUN)))
    void Promise.all(runs).then(done)
  }

  /** One script run for these consumes; settles each of them, never rejects. */
  #run(consumes: readonly QueuedConsume[]): Promise<void> {
    const keys: string[] = []
    const args: string[] = [String(consumes.length)]
    for (const item of consumes) {
      keys.push(...item.keys)
      args.push(String(item.keys.length), String(item.args.length), ...item.args)
    }
    return this.client.llmRelayConsumeMany(keys.length, ...keys, ...args).then(
      (replies) => {
        consumes.forEach((item, index) => {
          const reply = replies[index]
          if (Array.isArray(reply)) item.resolve(reply)
          else item.reject(new Error('no reply for this consume in the batch'))
        })
      },
      (error: unknown) => {
        for (const item of consumes) item.reject(error)
      },
    )
  }
}
