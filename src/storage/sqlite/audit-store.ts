import type { AuditEntry, AuditStore } from '../types.js'
import { openSqlite, type SqliteDatabase } from './database.js'
import { migrateSqliteRecords } from './record-migrations.js'

/**
 * The admin audit log in the records' SQLite file, on its own connection (WAL lets it write beside
 * the records' thread). An admin action is rare: each entry is one insert on the event loop.
 */
export class SqliteAuditStore implements AuditStore {
  readonly #db: SqliteDatabase
  readonly #insert
  readonly #newest
  readonly #before

  constructor(path: string) {
    this.#db = openSqlite(path)
    try {
      migrateSqliteRecords(this.#db)
    } catch (error) {
      this.#db.close()
      throw error
    }
    this.#insert = this.#db.prepare('INSERT INTO admin_audit (time, actor, address, action, summary, diff) VALUES (?, ?, ?, ?, ?, ?)')
    this.#newest = this.#db.prepare<[number], Row>('SELECT * FROM admin_audit ORDER BY seq DESC LIMIT ?')
    this.#before = this.#db.prepare<[number, number], Row>('SELECT * FROM admin_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?')
  }

  async append(entry: AuditEntry): Promise<void> {
    this.#insert.run(entry.time, entry.actor, entry.address, entry.action, entry.summary, entry.diff ?? null)
  }

  async list(options: { beforeSeq?: number; limit: number }): Promise<AuditEntry[]> {
    const rows = options.beforeSeq === undefined ? this.#newest.all(options.limit) : this.#before.all(options.beforeSeq, options.limit)
    return rows.map(entryOf)
  }

  async close(): Promise<void> {
    this.#db.close()
  }
}

interface Row {
  seq: number | string
  time: number | string
  actor: string
  address: string
  action: string
  summary: string
  diff: string | null
}

/** A row as an entry; PostgreSQL's bigints come as strings. */
export function entryOf(row: Row): AuditEntry {
  return { seq: Number(row.seq), time: Number(row.time), actor: row.actor, address: row.address, action: row.action, summary: row.summary, ...(row.diff !== null && { diff: row.diff }) }
}
