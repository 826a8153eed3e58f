import type { RequestRecord } from '../../records/record.js'
import { checkPruneOptions, recordColumns, recordConditions, recordFromRow, recordOrder, type RowValue } from '../record-row.js'
import { packRows, PACKED_STRIDE, type PackedRows } from './row.js'
import type { RecordPruneOptions, RecordQuery, RecordStore } from '../types.js'
import { openSqlite, type SqliteDatabase } from './database.js'
import { migrateSqliteRecords } from './record-migrations.js'
import { FoldedInsert } from './folded-insert.js'

export interface SqliteRecordStoreOptions {
  /** The database file (created with its folder), or ':memory:' for a private one. */
  path: string
}

type Statement = ReturnType<SqliteDatabase['prepare']>

// Content counts as a chat log when it holds an exchange; kept headers alone do not make one.
const chatOnlySql = `(json_type(content, '$.request') IS NOT NULL OR json_type(content, '$.response') IS NOT NULL
  OR json_type(content, '$.toolCalls') IS NOT NULL)`

const selectColumns = recordColumns.join(', ')

/**
 * RecordStore on an SQLite file (the default backend). better-sqlite3 is synchronous, so every call
 * runs on the event loop: RecordWriter keeps calls few and small (batches, pruning in steps), and
 * each batch is one transaction (its inserts by FoldedInsert). The row count that pruning by
 * `keepRows` relies on is kept by these transactions: rows deleted by hand should be followed by
 * `UPDATE request_records_count SET n = (SELECT count(*) FROM request_records)`.
 */
export class SqliteRecordStore implements RecordStore {
  readonly #db: SqliteDatabase
  readonly #insertMany: (packed: PackedRows) => void
  readonly #pruneSteps: (options: RecordPruneOptions) => number
  // A query's SQL depends only on which filters are given: at most a few dozen shapes.
  readonly #queries = new Map<string, Statement>()
  #closed = false

  constructor(options: SqliteRecordStoreOptions) {
    if (typeof options.path !== 'string' || options.path === '') {
      throw new TypeError(`SqliteRecordStore: options.path must be a file path or ':memory:' (got ${String(options.path)})`)
    }
    this.#db = openSqlite(options.path)
    try {
      migrateSqliteRecords(this.#db)
    } catch (error) {
      this.#db.close()
      throw error
    }
    const insert = new FoldedInsert(this.#db)
    const count = this.#db.prepare('UPDATE request_records_count SET n = n + ?')
    this.#insertMany = this.#db.transaction((packed: PackedRows) => {
      insert.insertPacked(packed)
      count.run([packed.cells.length / PACKED_STRIDE])
    })
    const pruneOld = this.#db.prepare(
      'DELETE FROM request_records WHERE seq IN (SELECT seq FROM request_records WHERE time < ? ORDER BY time, seq LIMIT ?)',
    )
    const pruneExcess = this.#db.prepare(
      `DELETE FROM request_records WHERE seq IN (SELECT seq FROM request_records ORDER BY time, seq
        LIMIT max(0, min(?, (SELECT n FROM request_records_count) - ?)))`,
    )
    this.#pruneSteps = this.#db.transaction(({ olderThan, keepRows, batchSize }: RecordPruneOptions) => {
      let deleted = 0
      if (olderThan !== undefined) deleted += pruneOld.run([olderThan, batchSize]).changes
      if (keepRows !== undefined && deleted < batchSize) deleted += pruneExcess.run([batchSize - deleted, keepRows]).changes
      count.run([-deleted])
      return deleted
    })
  }

  async write(records: readonly RequestRecord[]): Promise<void> {
    return this.writePacked(packRows(records))
  }

  /** write() for records already packed (by packRows), as the threaded store's thread receives them. */
  async writePacked(packed: PackedRows): Promise<void> {
    this.#checkOpen()
    if (packed.cells.length > 0) this.#insertMany(packed)
  }

  async query(filter: RecordQuery): Promise<RequestRecord[]> {
    this.#checkOpen()
    const params: RowValue[] = []
    const where = recordConditions(filter, (value) => (params.push(value), '?'), chatOnlySql)
    const limit = filter.limit === undefined ? '' : ' LIMIT ?'
    if (filter.limit !== undefined) params.push(filter.limit)
    const sql = `SELECT ${filter.withSeq === true ? 'seq, ' : ''}${selectColumns} FROM request_records WHERE ${where} ORDER BY ${recordOrder(filter)}${limit}`
    let statement = this.#queries.get(sql)
    if (statement === undefined) this.#queries.set(sql, (statement = this.#db.prepare(sql)))
    return (statement.all(params) as Record<string, unknown>[]).map(recordFromRow)
  }

  async prune(options: RecordPruneOptions): Promise<number> {
    this.#checkOpen()
    checkPruneOptions(options)
    return this.#pruneSteps(options)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#db.close()
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('SqliteRecordStore: the store is closed')
  }
}
