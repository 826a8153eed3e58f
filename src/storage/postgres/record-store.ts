import pg from 'pg'
import type { RequestRecord } from '../../records/record.js'
import { checkPruneOptions, recordColumns, recordConditions, recordFromRow, recordOrder, type RowValue, rowValues } from '../record-row.js'
import { withClient } from './client.js'
import type { RecordPruneOptions, RecordQuery, RecordStore } from '../types.js'
import { migratePostgresRecords, quoteSchema } from './record-migrations.js'

export interface PostgresRecordStoreOptions {
  /** A postgres:// or postgresql:// connection URL. */
  url: string
  /** The schema holding the tables, created when missing; default `public`. */
  schema?: string
  /** Connections at most; default 4 (records are written one batch at a time). */
  poolSize?: number
  /** The longest to wait for a connection; default 2000 ms. */
  connectTimeoutMs?: number
  /** The longest one statement may run, enforced by the server and, a second later, by the client; default 5000 ms. */
  statementTimeoutMs?: number
}

// Bind parameters per statement are limited to 65535; 1000 rows of 24 columns stay well below.
const ROWS_PER_INSERT = 1000

// Failed writes remembered for their retry; the writer retries one batch at a time.
const MAX_IN_DOUBT = 64

/** A batch, by its first record (the writer retries the same batch, in the same order). */
function inDoubtKey(record: RequestRecord): string {
  return `${record.time} ${record.id}`
}

const idColumn = recordColumns.indexOf('id')
const timeColumn = recordColumns.indexOf('time')
const jsonColumns = new Set<number>([recordColumns.indexOf('attempts'), recordColumns.indexOf('content')])

// PostgreSQL text cannot hold NUL, and jsonb refuses \u0000 and lone surrogate escapes (which
// JSON.stringify writes for a lone surrogate). A client's request body may contain either; one such
// record would fail its whole batch, so they become U+FFFD. An escape counts only after an even run
// of backslashes: `\\u0000` is a backslash followed by text.
const badJsonEscape = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi

function storable(value: RowValue, column: number): RowValue {
  if (typeof value !== 'string') return value
  return jsonColumns.has(column) ? value.replace(badJsonEscape, '$1\\ufffd') : value.replaceAll('\0', '\uFFFD')
}

const chatOnlySql = `content ?| array['request', 'response', 'toolCalls']`

const selectColumns = recordColumns.map((column) => (column === 'attempts' || column === 'content' ? `${column}::text AS ${column}` : column)).join(', ')

function checkOptions(options: PostgresRecordStoreOptions): void {
  if (typeof options.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.url)) {
    throw new TypeError('PostgresRecordStore: options.url must be a postgres:// or postgresql:// URL')
  }
  const bounds = { poolSize: [1, 100], connectTimeoutMs: [1, 60_000], statementTimeoutMs: [1, 600_000] } as const
  for (const [name, [min, max]] of Object.entries(bounds)) {
    const value = options[name as keyof typeof bounds]
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      throw new RangeError(`PostgresRecordStore: options.${name} must be an integer from ${min} to ${max} (got ${String(value)})`)
    }
  }
}

/**
 * RecordStore on PostgreSQL, shared by every gateway instance pointed at the same database and
 * schema. The tables are created (migrated) on first use, and again on the next call if that failed,
 * so that a database down at start does not need a restart. Every statement is bounded in time: a
 * dead or slow database fails a write, it never hangs the writer.
 */
export class PostgresRecordStore implements RecordStore {
  readonly #pool: pg.Pool
  readonly #schema: string
  readonly #table: string
  readonly #countTable: string
  #migrated: Promise<unknown> | undefined
  #closed = false
  /**
   * Writes that failed with their outcome unknown (the connection broke around the commit), by their
   * batch's first record: the transaction id to ask about before the same batch is written again, so
   * that the writer's retry does not store it twice (issue 18).
   */
  readonly #inDoubt = new Map<string, string>()

  constructor(options: PostgresRecordStoreOptions) {
    checkOptions(options)
    this.#schema = options.schema ?? 'public'
    this.#table = `${quoteSchema(this.#schema)}.request_records`
    this.#countTable = `${quoteSchema(this.#schema)}.request_records_count`
    const statementTimeout = options.statementTimeoutMs ?? 5000
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      statement_timeout: statementTimeout,
      // The client-side bound catches a server that stopped answering (the server-side one cannot).
      query_timeout: statementTimeout + 1000,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'llm-relay',
    })
    // An idle connection that breaks (database restarted) is dropped by the pool; without a listener
    // its 'error' event would crash the process. The next call opens a new connection.
    this.#pool.on('error', () => {})
  }

  async write(records: readonly RequestRecord[]): Promise<void> {
    this.#checkOpen()
    if (records.length === 0) return
    await this.#ready()
    const key = inDoubtKey(records[0]!)
    const earlier = this.#inDoubt.get(key)
    if (earlier !== undefined) {
      const written = await this.#committed(earlier, records[0]!)
      this.#inDoubt.delete(key)
      if (written) return
    }
    let xid: string | undefined
    try {
      await withClient(this.#pool, async (client) => {
        await client.query('BEGIN')
        // Asked before the commit: if the connection breaks during it, this id still tells how it ended.
        xid = (await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]?.xid
        for (let start = 0; start < records.length; start += ROWS_PER_INSERT) {
          const chunk = records.slice(start, start + ROWS_PER_INSERT)
          await client.query(this.#insertSql(chunk.length), this.#insertParams(chunk))
        }
        await client.query('COMMIT')
      })
    } catch (error) {
      if (xid !== undefined) {
        this.#inDoubt.set(key, xid)
        if (this.#inDoubt.size > MAX_IN_DOUBT) this.#inDoubt.delete(this.#inDoubt.keys().next().value!)
      }
      throw error
    }
  }

  async query(filter: RecordQuery): Promise<RequestRecord[]> {
    this.#checkOpen()
    const params: RowValue[] = []
    // A filter's text is stored text's twin: NUL (which PostgreSQL's text cannot hold, and refuses with
    // an error) becomes U+FFFD as it did when the record was written, so it matches and never fails.
    const where = recordConditions(filter, (value) => `$${params.push(typeof value === 'string' ? value.replaceAll('\0', '\uFFFD') : value)}`, chatOnlySql, ' COLLATE "C"')
    const limit = filter.limit === undefined ? '' : ` LIMIT $${params.push(filter.limit)}`
    await this.#ready()
    const { rows } = await this.#pool.query<Record<string, unknown>>(
      `SELECT ${filter.withSeq === true ? 'seq, ' : ''}${selectColumns} FROM ${this.#table} WHERE ${where} ORDER BY ${recordOrder(filter)}${limit}`,
      params,
    )
    return rows.map(recordFromRow)
  }

  async prune(options: RecordPruneOptions): Promise<number> {
    this.#checkOpen()
    checkPruneOptions(options)
    const { olderThan, keepRows, batchSize } = options
    await this.#ready()
    let deleted = 0
    if (olderThan !== undefined) {
      const result = await this.#pool.query(
        `DELETE FROM ${this.#table} WHERE seq IN (SELECT seq FROM ${this.#table} WHERE time < $1 ORDER BY time, seq LIMIT $2)`,
        [Math.floor(olderThan), batchSize],
      )
      deleted += result.rowCount ?? 0
    }
    if (keepRows !== undefined && deleted < batchSize) {
      // Count and victims in one statement (one snapshot): two instances pruning at once never
      // delete below keepRows, they only skip rows the other one already took.
      const result = await this.#pool.query(
        `DELETE FROM ${this.#table} WHERE seq IN (SELECT seq FROM ${this.#table} ORDER BY time, seq
          LIMIT GREATEST(0, LEAST($1, (SELECT n FROM ${this.#countTable}) - $2)))`,
        [batchSize - deleted, keepRows],
      )
      deleted += result.rowCount ?? 0
    }
    return deleted
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.end()
  }

  /**
   * Whether the failed write of transaction `xid` (whose batch began with `first`) committed after all.
   * An xid past the server's next one was lost in a crash (never committed); one a crash left behind
   * may be handed out again, so the batch's first record must also be there. Still running: unknown
   * yet, so this write fails and the writer's retry or drop follows as for any failure.
   */
  async #committed(xid: string, first: RequestRecord): Promise<boolean> {
    const row = rowValues(first)
    const { rows } = await this.#pool.query<{ status: string | null; present: boolean }>(
      `SELECT CASE WHEN $1::xid8 < pg_snapshot_xmax(pg_current_snapshot()) THEN pg_xact_status($1::xid8) END AS status,
        EXISTS (SELECT 1 FROM ${this.#table} WHERE time = $2 AND id = $3) AS present`,
      [xid, row[timeColumn], storable(row[idColumn]!, idColumn)],
    )
    const { status, present } = rows[0] ?? { status: null, present: false }
    if (status === 'in progress') throw new Error('PostgresRecordStore: an earlier write of this batch is still in progress')
    return status === 'committed' && present
  }

  #ready(): Promise<unknown> {
    this.#migrated ??= migratePostgresRecords(this.#pool, this.#schema).catch((error: unknown) => {
      this.#migrated = undefined
      throw error
    })
    return this.#migrated
  }

  #insertSql(rows: number): string {
    const width = recordColumns.length
    const tuples = Array.from({ length: rows }, (_, row) => `(${recordColumns.map((_, column) => `$${row * width + column + 1}`).join(', ')})`)
    return `INSERT INTO ${this.#table} (${recordColumns.join(', ')}) VALUES ${tuples.join(', ')}`
  }

  #insertParams(records: readonly RequestRecord[]): RowValue[] {
    return records.flatMap((record) => rowValues(record).map(storable))
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('PostgresRecordStore: the store is closed')
  }
}
