/**
 * The storage interfaces, named for their use (STYLE.md §6.3). Each has an embedded backend and a
 * shared one for many gateway instances; `createStorage` (later) is the only switch between them.
 */

/** How a window of a rate limit moves. */
export type WindowStrategy = 'fixed-window' | 'moving-window' | 'fixed-window-elastic-expiry'

/** One limit on one key: at most `limit` units per `windowMs`. */
export interface WindowLimit {
  key: string
  limit: number
  windowMs: number
}

/** The state of one limit after a decision. */
export interface WindowState {
  limit: number
  /** Units still available in the window (never below 0). */
  remaining: number
  /** Epoch ms at which the window next frees capacity. */
  resetAt: number
}

export interface ConsumeResult {
  admitted: boolean
  /** One per limit given, in the same order. */
  states: WindowState[]
  /** When refused: how long until every refusing limit has room again; 0 when admitted. */
  retryAfterMs: number
}

/** Counters for request and token limits. */
export interface CounterStore {
  /**
   * Atomically: when every limit has room for `amount`, adds `amount` to all of them and admits;
   * otherwise changes nothing and refuses. Several limits (e.g. 60/minute and 600/hour) are all or nothing.
   */
  consume(limits: readonly WindowLimit[], amount: number, strategy: WindowStrategy, now?: number): Promise<ConsumeResult>
  /**
   * Adds `delta` (negative to give back) to the current windows of these limits without a check:
   * settles an estimate with the real usage. Never below zero.
   */
  adjust(limits: readonly WindowLimit[], delta: number, strategy: WindowStrategy, now?: number): Promise<void>
  close(): Promise<void>
}

/** A store that can answer at once (memory): callers on the hot path skip the promise. */
export interface ImmediateCounterStore extends CounterStore {
  consumeNow(limits: readonly WindowLimit[], amount: number, strategy: WindowStrategy, now?: number): ConsumeResult
}

export function answersImmediately(store: CounterStore): store is ImmediateCounterStore {
  return typeof (store as Partial<ImmediateCounterStore>).consumeNow === 'function'
}

/** One cached answer as the store holds it: opaque bytes (the cache layer serialises) and when it was stored. */
export interface CachedValue {
  value: Buffer
  /** Epoch ms of the set() that stored it; the `age` header is computed from it. */
  storedAt: number
}

/**
 * Bytes by key with a time to live, for cached AI answers. Keys are already hashed by the caller
 * (SHA-256 hex plus a short scope prefix). Backends: memory (LRU bounded by bytes and entries),
 * SQLite (embedded, survives restarts) and Redis (shared by instances).
 */
export interface CacheStore {
  /** The live value, or undefined when absent or expired (an expired value is never returned). */
  get(key: string, now?: number): Promise<CachedValue | undefined>
  /** Stores `value` for `ttlMs`; false when refused because it is larger than the store's per-entry cap. */
  set(key: string, value: Buffer, ttlMs: number, now?: number): Promise<boolean>
  delete(key: string): Promise<void>
  /** Entries dropped to make room (LRU) or pruned as expired, since the store was opened: a metric hook. */
  readonly evictions: number
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Request records (issue 5 point 2)
// ---------------------------------------------------------------------------------------------

import type { RequestRecord } from '../records/record.js'
import type { AuditEntry } from '../admin/wire.js'

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx'

/**
 * Which records to read. Every field narrows; none given reads everything. Times are epoch ms of the
 * record's `time` (when the request arrived).
 */
export interface RecordQuery {
  /** Records at or after this time. */
  since?: number
  /** Records before this time. */
  until?: number
  /** One final status, 'error' for every status >= 400, or a class ('2xx' ... '5xx'). */
  status?: number | 'error' | StatusClass
  model?: string
  route?: string
  /** The upstream whose answer was relayed (by name). */
  upstream?: string
  /** HIT, MISS or BYPASS. */
  cache?: 'HIT' | 'MISS' | 'BYPASS'
  /** Records whose request id starts with this. */
  idPrefix?: string
  /** The one record with this seq (read with withSeq). */
  seq?: number
  /** Keyset paging: records older than this one (its time and seq), as the last of a page names it. */
  before?: { time: number; seq: number }
  /** Give each record its seq, for `before` (records are otherwise read without it). */
  withSeq?: boolean
  /** The record's clientId. */
  client?: string
  /** Only records that kept content (a request body, an answer or tool calls): chat logs. */
  chatOnly?: boolean
  /** At most this many (the newest); no limit when absent, so a caller on a large table should give one. */
  limit?: number
  /** Records strictly after this time, for `logs --follow`. */
  afterTime?: number
  /**
   * Records written after the one with this seq (0: from the first), for the admin's live tail. Such
   * a query is ordered by seq, the last written first, not by time: `limit` keeps the latest writes,
   * and the seq index answers it without reading the older rows.
   */
  afterSeq?: number
}

export interface RecordPruneOptions {
  /** Delete records older than this epoch ms. */
  olderThan?: number
  /** Delete the oldest records beyond this many. */
  keepRows?: number
  /** The most rows one call deletes, so that a large backlog is pruned in short steps. */
  batchSize: number
}

/**
 * Request records and chat logs. Backends: SQLite (embedded, the default) and PostgreSQL (shared by
 * instances). Written in batches off the hot path by records/writer.ts, never per request.
 */
export interface RecordStore {
  /** Stores the records in one transaction: all of them or none. An empty batch does nothing. */
  write(records: readonly RequestRecord[]): Promise<void>
  /** The matching records, newest first (records of the same ms in reverse order of writing). */
  query(filter: RecordQuery): Promise<RequestRecord[]>
  /** Deletes at most batchSize records, oldest first, that are too old or beyond keepRows; how many it deleted. */
  prune(options: RecordPruneOptions): Promise<number>
  close(): Promise<void>
}

export type { AuditEntry } from '../admin/wire.js'

/**
 * The admin audit log, kept beside the request records (the same SQLite file or PostgreSQL schema),
 * so that instances sharing a records database share it too. Writes are rare (admin actions): each
 * is one insert, awaited.
 */
export interface AuditStore {
  append(entry: AuditEntry): Promise<void>
  /** Newest first, `limit` at most, older than `beforeSeq` when given (keyset paging). */
  list(options: { beforeSeq?: number; limit: number }): Promise<AuditEntry[]>
  close(): Promise<void>
}
