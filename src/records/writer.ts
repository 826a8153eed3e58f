import { setTimeout as sleep } from 'node:timers/promises'
import type { RecordStore } from '../storage/types.js'
import type { RequestRecord } from './record.js'

export interface RecordRetention {
  /** Delete records older than this. */
  maxAgeMs?: number
  /** Keep at most this many records, deleting the oldest. */
  maxRows?: number
}

export interface RecordWriterOptions {
  store: RecordStore
  /** Records waiting to be written at most; more are dropped and counted. Default 10 000. */
  maxQueue?: number
  /** Records per write; a full batch is written at once, without waiting for the interval. Default 500. */
  batchSize?: number
  /**
   * How often what is queued is written, default 1000 ms. This is the batch window: a SIGKILL loses
   * the records of the last window (all that is queued, up to maxQueue, when the store is failing).
   * SIGTERM loses nothing: close() writes everything first.
   */
  flushIntervalMs?: number
  /** The longest close() spends writing what is pending; what is left then is dropped. Default 5000 ms. */
  closeTimeoutMs?: number
  retention?: RecordRetention
  /** How often retention runs. Default 60 s. */
  pruneIntervalMs?: number
  /** Rows deleted per prune step; a pass is many small steps. Default 1000. */
  pruneStep?: number
  /** The pause between two prune steps, so that requests and writes run in between. Default 10 ms. */
  pruneStepPauseMs?: number
  /** Called when writing or pruning fails or records are dropped, at most once per troubleIntervalMs (default 30 s). */
  onTrouble?: (error: Error) => void
  /** Called on the first successful write after a reported trouble. */
  onRecovered?: () => void
  troubleIntervalMs?: number
}

type Defaulted = Required<Omit<RecordWriterOptions, 'store' | 'retention' | 'onTrouble' | 'onRecovered'>>

const defaults: Defaulted = {
  maxQueue: 10_000,
  batchSize: 500,
  flushIntervalMs: 1000,
  closeTimeoutMs: 5000,
  pruneIntervalMs: 60_000,
  pruneStep: 1000,
  pruneStepPauseMs: 10,
  troubleIntervalMs: 30_000,
}

// The least each option may be: a zero interval would spin, a zero batch would never write.
const minimums: Defaulted = {
  maxQueue: 1,
  batchSize: 1,
  flushIntervalMs: 1,
  closeTimeoutMs: 0,
  pruneIntervalMs: 1,
  pruneStep: 1,
  pruneStepPauseMs: 0,
  troubleIntervalMs: 0,
}

function settings(options: RecordWriterOptions): Defaulted {
  const chosen = { ...defaults }
  for (const name of Object.keys(defaults) as (keyof Defaulted)[]) {
    const value = options[name]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < minimums[name]) {
      throw new RangeError(`RecordWriter: options.${name} must be an integer >= ${minimums[name]} (got ${String(value)})`)
    }
    chosen[name] = value
  }
  const { maxAgeMs, maxRows } = options.retention ?? {}
  if (maxAgeMs !== undefined && (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 1)) {
    throw new RangeError(`RecordWriter: options.retention.maxAgeMs must be a positive integer (got ${String(maxAgeMs)})`)
  }
  if (maxRows !== undefined && (!Number.isSafeInteger(maxRows) || maxRows < 0)) {
    throw new RangeError(`RecordWriter: options.retention.maxRows must be an integer >= 0 (got ${String(maxRows)})`)
  }
  return chosen
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/** 'full': only whole batches (a batch filled up); 'all': everything (the interval); 'final': everything, retrying at once (close). */
type DrainMode = 'full' | 'all' | 'final'

/**
 * Takes records from the hot path and writes them in batches, off it (issue 5 point 2). push() only
 * appends to a bounded queue; one write at a time runs from a timer or when a batch fills. A failed
 * batch is tried once more on the next interval, then dropped and counted: a database that is down
 * or slow costs records, never requests. Retention runs in small steps on its own timer.
 */
export class RecordWriter {
  readonly #store: RecordStore
  readonly #options: Defaulted
  readonly #retention: RecordRetention | undefined
  readonly #onTrouble: ((error: Error) => void) | undefined
  readonly #onRecovered: (() => void) | undefined
  #queue: RequestRecord[] = []
  /** A batch whose write failed once, tried again on the next interval. */
  #retry: RequestRecord[] | undefined
  #writing: Promise<void> | undefined
  #pruning: Promise<number> | undefined
  #soon: NodeJS.Immediate | undefined
  readonly #flushTimer: NodeJS.Timeout
  readonly #pruneTimer: NodeJS.Timeout | undefined
  #closing: Promise<void> | undefined
  /** close() gave up waiting: write nothing more. */
  #abandoned = false
  #dropped = 0
  #written = 0
  /** Records in the write now in progress. */
  #inFlight = 0
  #troubled = false
  #reported = false
  #lastReportAt = -Infinity
  /** Told of each batch written; empty unless the admin's live tail is open. */
  readonly #writtenListeners = new Set<(count: number) => void>()

  constructor(options: RecordWriterOptions) {
    this.#options = settings(options)
    this.#store = options.store
    this.#onTrouble = options.onTrouble
    this.#onRecovered = options.onRecovered
    const { maxAgeMs, maxRows } = options.retention ?? {}
    this.#retention = maxAgeMs === undefined && maxRows === undefined ? undefined : { maxAgeMs, maxRows }
    this.#flushTimer = setInterval(() => void this.#run('all'), this.#options.flushIntervalMs).unref()
    if (this.#retention !== undefined) {
      const pass = () => void this.prune().catch((error: unknown) => this.#report(asError(error)))
      this.#pruneTimer = setInterval(pass, this.#options.pruneIntervalMs).unref()
    }
  }

  /** Records dropped since start: queue full, writes failed twice, pushed after close, or left when close() timed out. */
  get dropped(): number {
    return this.#dropped
  }

  get written(): number {
    return this.#written
  }

  /** Records waiting to be written (a batch being written not included). */
  get queued(): number {
    return this.#queue.length + (this.#retry?.length ?? 0)
  }

  /**
   * Calls `listener` after each batch is in the store, so that a reader (the admin's live tail) can
   * read it at once instead of at its next poll. Returns the function that stops it.
   */
  onWritten(listener: (count: number) => void): () => void {
    this.#writtenListeners.add(listener)
    return () => this.#writtenListeners.delete(listener)
  }

  /** Queues one record. Synchronous and never throws: the request that made it is not slowed or failed by it. */
  push(record: RequestRecord): void {
    if (this.#closing !== undefined) {
      this.#dropped++
      return
    }
    if (this.#queue.length >= this.#options.maxQueue) {
      this.#dropped++
      if (this.#reportDue()) this.#report(new Error(`the record queue is full (maxQueue ${this.#options.maxQueue}): records are being dropped`))
      return
    }
    this.#queue.push(record)
    // The write starts on the next turn of the event loop, never inside the request that pushed.
    if (this.#queue.length >= this.#options.batchSize && this.#writing === undefined && this.#soon === undefined && this.#retry === undefined) {
      this.#soon = setImmediate(() => {
        this.#soon = undefined
        void this.#run('full')
      }).unref()
    }
  }

  /** Writes everything queued now. Never rejects: a failed batch is reported and held for the next interval, as usual. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing
    await this.#run('all')
  }

  /**
   * One retention pass now: prune steps until one deletes less than a full step; resolves with the
   * rows deleted. A pass already running is joined, not doubled.
   */
  prune(): Promise<number> {
    if (this.#retention === undefined) return Promise.resolve(0)
    this.#pruning ??= this.#prunePass(this.#retention).finally(() => {
      this.#pruning = undefined
    })
    return this.#pruning
  }

  /** Stops the timers, writes everything pending (within closeTimeoutMs), then closes the store. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#flushTimer)
    clearInterval(this.#pruneTimer)
    clearImmediate(this.#soon)
    const finished = (async () => {
      await this.#pruning?.catch(() => {})
      while (this.#writing !== undefined) await this.#writing
      await this.#run('final')
    })()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.closeTimeoutMs)))
    await Promise.race([finished, timedOut])
    clearTimeout(timer)
    const lost = this.queued + this.#inFlight
    if (lost > 0) {
      // Counted now, once: whatever the batch in flight does later changes no count.
      this.#dropped += lost
      this.#abandoned = true
      this.#queue = []
      this.#retry = undefined
    }
    await this.#store.close()
  }

  #run(mode: DrainMode): Promise<void> {
    if (this.#writing !== undefined) return this.#writing
    this.#writing = this.#drain(mode).finally(() => {
      this.#writing = undefined
    })
    return this.#writing
  }

  async #drain(mode: DrainMode): Promise<void> {
    if (this.#retry !== undefined) {
      // While the store fails, it is tried once per interval, not each time a batch fills.
      if (mode === 'full') return
      const batch = this.#retry
      this.#retry = undefined
      if (!(await this.#write(batch))) this.#drop(batch.length)
    }
    const least = mode === 'full' ? this.#options.batchSize : 1
    while (this.#queue.length >= least && !this.#abandoned) {
      const batch = this.#queue.splice(0, this.#options.batchSize)
      if (await this.#write(batch)) continue
      if (mode !== 'final') {
        this.#retry = batch
        return
      }
      if (!(await this.#write(batch))) this.#drop(batch.length)
    }
  }

  async #write(batch: RequestRecord[]): Promise<boolean> {
    if (this.#abandoned) return false
    this.#inFlight = batch.length
    try {
      await this.#store.write(batch)
    } catch (error) {
      if (!this.#abandoned) this.#trouble(asError(error))
      return false
    } finally {
      this.#inFlight = 0
    }
    if (this.#abandoned) return true
    this.#written += batch.length
    if (this.#troubled) {
      this.#troubled = false
      if (this.#reported) {
        this.#reported = false
        this.#call(this.#onRecovered)
      }
    }
    for (const listener of this.#writtenListeners) this.#call(listener, batch.length)
    return true
  }

  async #prunePass({ maxAgeMs, maxRows }: RecordRetention): Promise<number> {
    const { pruneStep, pruneStepPauseMs } = this.#options
    let deleted = 0
    while (this.#closing === undefined) {
      const olderThan = maxAgeMs === undefined ? undefined : Date.now() - maxAgeMs
      const step = await this.#store.prune({ olderThan, keepRows: maxRows, batchSize: pruneStep })
      deleted += step
      if (step < pruneStep) break
      // A pass in progress is awaited by prune() and ended by close(), so its pause may hold the loop.
      await sleep(pruneStepPauseMs)
    }
    return deleted
  }

  #drop(count: number): void {
    if (!this.#abandoned) this.#dropped += count
  }

  #reportDue(): boolean {
    return Date.now() - this.#lastReportAt >= this.#options.troubleIntervalMs
  }

  /** A failed write: the store is in trouble until a write succeeds, and onRecovered follows a reported trouble. */
  #trouble(error: Error): void {
    this.#troubled = true
    if (this.#report(error)) this.#reported = true
  }

  /** Calls onTrouble unless it was called within troubleIntervalMs; whether it did. */
  #report(error: Error): boolean {
    if (!this.#reportDue()) return false
    this.#lastReportAt = Date.now()
    this.#call(this.#onTrouble, error)
    return true
  }

  /** A caller's callback that throws must not break the writer. */
  #call<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
    try {
      callback?.(...args)
    } catch {
      // Nothing to do: the writer has no logger of its own.
    }
  }
}
