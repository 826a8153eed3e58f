import type { Logger } from '../../log.js'
import type { RequestRecord } from '../../records/record.js'
import type { RecordWriter } from '../../records/writer.js'
import type { RecordQuery, RecordStore } from '../../storage/types.js'

/** One open page following the records: its filters, where it is, and how to hand it records. */
export interface TailReader {
  /** The request list's filters (route, model, status, ...); no limit, time or paging. */
  readonly filter: RecordQuery
  /** The seq of the last record it has; undefined until known (it then starts at the newest). */
  afterSeq: number | undefined
  /** True while its client reads too slowly: it is skipped, and its cursor waits where it is. */
  readonly paused: boolean
  /** More records matched than one read takes: those with seq between the two (exclusive) are skipped. */
  gap(afterSeq: number, beforeSeq: number): void
  /** One new record, oldest first; false when it could not take it now (it is read again next time). */
  deliver(record: RequestRecord): boolean
}

export interface RequestTailOptions {
  /** How often the store is read while someone follows; default 1000 ms. */
  pollMs?: number
  /** Records one read hands a reader at most; default 200. */
  cap?: number
}

/**
 * The live tail of the request records. Records are written in batches (records/writer.ts), and
 * several instances may share one PostgreSQL database, so the store itself is followed: each reader
 * is read for records after its last seq once per poll, and at once when this gateway's writer has
 * written a batch. Nothing runs while nobody follows.
 */
export class RequestTail {
  readonly #readers = new Set<TailReader>()
  readonly #pollMs: number
  readonly #cap: number
  #timer: NodeJS.Timeout | undefined
  #writer: RecordWriter | undefined
  #stopHearing: (() => void) | undefined
  #polling: Promise<void> | undefined
  #again = false
  #failing = false

  constructor(
    private readonly store: RecordStore,
    private readonly writerOf: () => RecordWriter | undefined,
    private readonly logger: Logger,
    options: RequestTailOptions = {},
  ) {
    this.#pollMs = options.pollMs ?? 1000
    this.#cap = options.cap ?? 200
  }

  /** Starts following for `reader` from its `afterSeq` (see latestSeq()); returns the function that stops it. */
  add(reader: TailReader): () => void {
    this.#readers.add(reader)
    this.#timer ??= setInterval(() => this.#poke(), this.#pollMs).unref()
    this.#followWriter()
    return () => this.#remove(reader)
  }

  close(): void {
    for (const reader of [...this.#readers]) this.#remove(reader)
  }

  #remove(reader: TailReader): void {
    this.#readers.delete(reader)
    if (this.#readers.size > 0) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#stopHearing?.()
    this.#stopHearing = undefined
    this.#writer = undefined
  }

  /** Hears the current writer; a reload that changed where records go replaced it. */
  #followWriter(): void {
    const writer = this.writerOf()
    if (writer === this.#writer) return
    this.#stopHearing?.()
    this.#writer = writer
    this.#stopHearing = writer?.onWritten(() => this.#poke())
  }

  /** A read now, or, when one is running, one more right after it (what it wrote may have come too late for it). */
  #poke(): void {
    if (this.#polling !== undefined) {
      this.#again = true
      return
    }
    this.#followWriter()
    this.#polling = this.#poll().finally(() => {
      this.#polling = undefined
      if (this.#again && this.#readers.size > 0) {
        this.#again = false
        this.#poke()
      }
    })
  }

  async #poll(): Promise<void> {
    const readers = [...this.#readers].filter((reader) => !reader.paused)
    try {
      await Promise.all(readers.map((reader) => this.#readFor(reader)))
      if (this.#failing) this.logger.info('the admin request tail reads the records again')
      this.#failing = false
    } catch (error) {
      // Closing (nobody follows any more, the store is shut) is no trouble to report.
      if (this.#readers.size === 0) return
      if (!this.#failing) this.logger.warn({ err: error }, 'the admin request tail cannot read the records; it keeps trying')
      this.#failing = true
    }
  }

  async #readFor(reader: TailReader): Promise<void> {
    if (reader.afterSeq === undefined) {
      reader.afterSeq = await this.latestSeq()
      return
    }
    const after = reader.afterSeq
    // The last written first: when more than the cap came, the newest are shown and the rest is a gap.
    const found = await this.store.query({ ...reader.filter, afterSeq: after, limit: this.#cap + 1, withSeq: true })
    if (!this.#readers.has(reader) || reader.afterSeq !== after) return
    const kept = found.slice(0, this.#cap).reverse()
    if (found.length > this.#cap) reader.gap(after, kept[0]!.seq!)
    for (const record of kept) {
      if (!reader.deliver(record)) return
      reader.afterSeq = record.seq
    }
  }

  /**
   * The seq of the last record written, where a new reader starts: 0 when there is none, undefined
   * when the store cannot say now (the reader then starts at the newest once it can).
   */
  async latestSeq(): Promise<number | undefined> {
    try {
      const [last] = await this.store.query({ afterSeq: 0, limit: 1, withSeq: true })
      return last?.seq ?? 0
    } catch (error) {
      this.logger.warn({ err: error }, 'the admin request tail cannot read the records; it starts when it can')
      return undefined
    }
  }
}
