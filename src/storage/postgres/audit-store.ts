import pg from 'pg'
import { entryOf } from '../sqlite/audit-store.js'
import type { AuditEntry, AuditStore } from '../types.js'
import { migratePostgresRecords, quoteSchema } from './record-migrations.js'

/** The admin audit log in the records' PostgreSQL schema, shared by every instance that shares the records. */
export class PostgresAuditStore implements AuditStore {
  readonly #pool: pg.Pool
  readonly #schema: string
  readonly #table: string
  #migrated: Promise<unknown> | undefined

  constructor(url: string, schema = 'public') {
    this.#schema = schema
    this.#table = `${quoteSchema(schema)}.admin_audit`
    this.#pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 2000, statement_timeout: 5000, query_timeout: 6000, idleTimeoutMillis: 10_000, allowExitOnIdle: true, application_name: 'llm-relay admin' })
    // A broken idle connection is dropped by the pool; without a listener its 'error' would end the process.
    this.#pool.on('error', () => {})
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.#ready()
    await this.#pool.query(`INSERT INTO ${this.#table} (time, actor, address, action, summary, diff) VALUES ($1, $2, $3, $4, $5, $6)`, [
      entry.time,
      entry.actor,
      entry.address,
      entry.action,
      entry.summary,
      entry.diff ?? null,
    ])
  }

  async list(options: { beforeSeq?: number; limit: number }): Promise<AuditEntry[]> {
    await this.#ready()
    const { rows } =
      options.beforeSeq === undefined
        ? await this.#pool.query(`SELECT * FROM ${this.#table} ORDER BY seq DESC LIMIT $1`, [options.limit])
        : await this.#pool.query(`SELECT * FROM ${this.#table} WHERE seq < $1 ORDER BY seq DESC LIMIT $2`, [options.beforeSeq, options.limit])
    return rows.map(entryOf)
  }

  async close(): Promise<void> {
    await this.#pool.end()
  }

  #ready(): Promise<unknown> {
    this.#migrated ??= migratePostgresRecords(this.#pool, this.#schema).catch((error: unknown) => {
      this.#migrated = undefined
      throw error
    })
    return this.#migrated
  }
}
