import { checkEntryFits, checkKey, checkNow, checkSet, positiveInteger } from '../cache-arguments.js'
import type { CachedValue, CacheStore } from '../types.js'
import { openSqlite, type SqliteDatabase } from './database.js'

export interface SqliteCacheStoreOptions {
  /** The SQLite file (created with its folder), or `:memory:`. */
  path: string
  /** At most this many bytes (values plus key characters); past it the oldest stored go. Default 1 GiB. */
  maxBytes?: number
  /** A value larger than this is refused (set() returns false). Default 4 MiB; at most maxBytes. */
  maxEntryBytes?: number
  /** How often expired rows are deleted. Default 60 s. */
  pruneIntervalMs?: number
  /** Told of a failed background prune (a busy or broken file), which the next tick retries. Default: none. */
  onPruneError?: (error: unknown) => void
}

const MiB = 1024 * 1024
const DEFAULT_MAX_BYTES = 1024 * MiB
const DEFAULT_MAX_ENTRY_BYTES = 4 * MiB
const DEFAULT_PRUNE_INTERVAL_MS = 60_000
// Rows per delete: each delete is one short write transaction, so readers and other writers (another
// process on the same file) wait at most a few milliseconds for it.
const BATCH = 100

// The version is in the names (as undici's cacheInterceptorV${VERSION}): a new layout gets new tables
// beside the old ones instead of misreading them. Totals are kept by triggers in the same transaction
// as each change, so the bytes bound needs no SUM over the table and stays right across restarts and
// processes sharing the file.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS cache_v1 (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cache_v1_expires_at ON cache_v1 (expires_at);
CREATE INDEX IF NOT EXISTS cache_v1_stored_at ON cache_v1 (stored_at);
CREATE TABLE IF NOT EXISTS cache_v1_totals (one INTEGER PRIMARY KEY CHECK (one = 1), bytes INTEGER NOT NULL, entries INTEGER NOT NULL);
INSERT OR IGNORE INTO cache_v1_totals VALUES (1, 0, 0);
CREATE TRIGGER IF NOT EXISTS cache_v1_inserted AFTER INSERT ON cache_v1
  BEGIN UPDATE cache_v1_totals SET bytes = bytes + new.size, entries = entries + 1; END;
CREATE TRIGGER IF NOT EXISTS cache_v1_deleted AFTER DELETE ON cache_v1
  BEGIN UPDATE cache_v1_totals SET bytes = bytes - old.size, entries = entries - 1; END;
CREATE TRIGGER IF NOT EXISTS cache_v1_updated AFTER UPDATE OF size ON cache_v1
  BEGIN UPDATE cache_v1_totals SET bytes = bytes + new.size - old.size; END;
`

interface Totals {
  bytes: number
  entries: number
}

/**
 * CacheStore in an SQLite file: survives restarts, bounded by total bytes. An entry lives while its
 * age is at most its TTL, as in the other backends. Expired rows are never read (the query checks
 * expires_at) and are deleted in batches on a timer.
 *
 * Past maxBytes, expired rows go first, then the oldest stored: not the least recently used, because
 * recording each read would turn every cache hit into a disk write.
 *
 * better-sqlite3 is synchronous; a small row read or written on an indexed key takes microseconds,
 * less than handing the work to a thread would cost.
 */
export class SqliteCacheStore implements CacheStore {
  readonly #db: SqliteDatabase
  readonly #maxBytes: number
  readonly #maxEntryBytes: number
  readonly #pruneTimer: NodeJS.Timeout
  readonly #onPruneError: ((error: unknown) => void) | undefined
  #pruneMore: NodeJS.Immediate | undefined
  #closed = false
  #evictions = 0
  readonly #sql

  constructor(options: SqliteCacheStoreOptions) {
    const name = 'SqliteCacheStore'
    if (typeof options?.path !== 'string' || options.path === '') throw new TypeError(`${name}: option path must be a file path or :memory:`)
    this.#maxBytes = positiveInteger(name, 'maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES)
    this.#maxEntryBytes = positiveInteger(name, 'maxEntryBytes', options.maxEntryBytes ?? Math.min(DEFAULT_MAX_ENTRY_BYTES, this.#maxBytes))
    checkEntryFits(name, this.#maxEntryBytes, this.#maxBytes)
    const pruneIntervalMs = positiveInteger(name, 'pruneIntervalMs', options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS)
    if (options.onPruneError !== undefined && typeof options.onPruneError !== 'function') throw new TypeError(`${name}: option onPruneError must be a function`)
    this.#onPruneError = options.onPruneError

    this.#db = openSqlite(options.path)
    this.#db.transaction(() => this.#db.exec(SCHEMA))()
    this.#sql = {
      get: this.#db.prepare<[string, number], { value: Buffer; storedAt: number }>(
        'SELECT value, stored_at AS storedAt FROM cache_v1 WHERE key = ? AND expires_at >= ?',
      ),
      set: this.#db.prepare<[string, Buffer, number, number, number]>(
        `INSERT INTO cache_v1 (key, value, stored_at, expires_at, size) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, stored_at = excluded.stored_at,
           expires_at = excluded.expires_at, size = excluded.size`,
      ),
      delete: this.#db.prepare<[string]>('DELETE FROM cache_v1 WHERE key = ?'),
      deleteExpired: this.#db.prepare<[number, number]>(
        'DELETE FROM cache_v1 WHERE rowid IN (SELECT rowid FROM cache_v1 WHERE expires_at < ? LIMIT ?)',
      ),
      oldest: this.#db.prepare<[number], { rowid: number; size: number }>('SELECT rowid, size FROM cache_v1 ORDER BY stored_at, rowid LIMIT ?'),
      deleteRow: this.#db.prepare<[number]>('DELETE FROM cache_v1 WHERE rowid = ?'),
      totals: this.#db.prepare<[], Totals>('SELECT bytes, entries FROM cache_v1_totals'),
    }
    // unref: an idle prune must never keep the process alive.
    this.#pruneTimer = setInterval(() => {
      if (this.#pruneMore === undefined) this.#pruneInBackground()
    }, pruneIntervalMs).unref()
  }

  get evictions(): number {
    return this.#evictions
  }

  /** Bytes held (values plus key characters), expired rows included until pruned: a metric. */
  get bytes(): number {
    return this.#totals().bytes
  }

  /** Rows held, expired ones included until pruned: a metric. */
  get entries(): number {
    return this.#totals().entries
  }

  async get(key: string, now = Date.now()): Promise<CachedValue | undefined> {
    checkKey('SqliteCacheStore', key)
    checkNow('SqliteCacheStore', now)
    this.#checkOpen()
    return this.#sql.get.get(key, now)
  }

  async set(key: string, value: Buffer, ttlMs: number, now = Date.now()): Promise<boolean> {
    checkSet('SqliteCacheStore', key, value, ttlMs, now)
    this.#checkOpen()
    const size = value.length + key.length
    // With its key, a value at the cap may still not fit in the whole store: making room would drop it too.
    if (value.length > this.#maxEntryBytes || size > this.#maxBytes) return false
    this.#sql.set.run(key, value, now, now + ttlMs, size)
    this.#makeRoom(now)
    return true
  }

  async delete(key: string): Promise<void> {
    checkKey('SqliteCacheStore', key)
    this.#checkOpen()
    this.#sql.delete.run(key)
  }

  /**
   * Deletes up to `limit` rows expired at `now`, counting them as evictions; returns how many went.
   * The timer calls it one batch at a time; callable directly (tests).
   */
  pruneExpired(now = Date.now(), limit = BATCH): number {
    this.#checkOpen()
    const { changes } = this.#sql.deleteExpired.run(now, limit)
    this.#evictions += changes
    return changes
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#pruneTimer)
    if (this.#pruneMore) clearImmediate(this.#pruneMore)
    this.#db.close()
  }

  /** One batch now and, while batches come back full, the next one after pending I/O: requests go in between. */
  #pruneInBackground(): void {
    this.#pruneMore = undefined
    if (this.#closed) return
    let pruned: number
    try {
      pruned = this.pruneExpired()
    } catch (error) {
      // Thrown from a timer it would end the process; reads skip expired rows meanwhile.
      this.#onPruneError?.(error)
      return
    }
    // Not unref'd: an unref'd immediate lets the loop sleep until some other event, so the backlog
    // would wait; the chain ends by itself at the first short batch.
    if (pruned === BATCH) this.#pruneMore = setImmediate(() => this.#pruneInBackground())
  }

  /** Back under maxBytes: expired rows first (they cost nothing to lose), then the oldest stored. */
  #makeRoom(now: number): void {
    while (this.#totals().bytes > this.#maxBytes) {
      if (this.pruneExpired(now) === 0) break
    }
    let excess = this.#totals().bytes - this.#maxBytes
    while (excess > 0) {
      const oldest = this.#sql.oldest.all(BATCH)
      if (oldest.length === 0) return
      // Only as many as the excess needs, each delete its own short transaction.
      for (const row of oldest) {
        if (excess <= 0) break
        this.#evictions += this.#sql.deleteRow.run(row.rowid).changes
        excess -= row.size
      }
      excess = this.#totals().bytes - this.#maxBytes
    }
  }

  #totals(): Totals {
    this.#checkOpen()
    return this.#sql.totals.get() ?? { bytes: 0, entries: 0 }
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('SqliteCacheStore: the store is closed')
  }
}
