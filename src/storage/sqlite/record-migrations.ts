import type { SqliteDatabase } from './database.js'

/**
 * The versioned schema of the SQLite request records. A migration is never edited once released:
 * a change is a new entry at the end. Each runs once, in order, in its own IMMEDIATE transaction
 * (which takes the write lock first, so two processes opening one file cannot both apply it), and
 * is noted in `request_records_migrations`: a table of our own rather than PRAGMA user_version,
 * because other stores may share the file.
 */
export interface SqliteMigration {
  version: number
  name: string
  sql: string
}

export const sqliteRecordMigrations: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'request records',
    // `seq` (the rowid) orders records of the same ms and is what deletes pick by: the request id is
    // not unique. Only `time` is indexed: a filtered `logs` query walks it newest first and filters
    // as it goes; each more index made an insert about 0.7 us dearer (measured: 7.5 us a record with
    // five, 4.9 us with one), paid on every request. The one-row count table spares pruning
    // to a row count a count(*) on the event loop; the store updates it in the transaction of each
    // write and prune (once per batch: a per-row trigger doubled the cost of an insert).
    sql: `
      CREATE TABLE request_records (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        time INTEGER NOT NULL,
        route TEXT,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        client_id TEXT,
        client_ip TEXT,
        user_agent TEXT,
        model TEXT,
        stream INTEGER NOT NULL,
        upstream TEXT,
        attempts TEXT NOT NULL,
        status INTEGER NOT NULL,
        headers_ms REAL,
        first_byte_ms REAL,
        total_ms REAL NOT NULL,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        total_tokens INTEGER,
        tokens_source TEXT,
        cache TEXT,
        error TEXT,
        level TEXT NOT NULL,
        content TEXT
      );
      CREATE INDEX request_records_time ON request_records (time);
      CREATE TABLE request_records_count (n INTEGER NOT NULL);
      INSERT INTO request_records_count (n) VALUES (0);
    `,
  },
  {
    version: 2,
    name: 'provider and upstream model',
    // Issue 14: which API the relayed upstream spoke, and the model it was asked for (after a model map).
    sql: `
      ALTER TABLE request_records ADD COLUMN provider TEXT;
      ALTER TABLE request_records ADD COLUMN upstream_model TEXT;
    `,
  },
  {
    version: 3,
    name: 'admin audit log',
    // Issue 15: the admin API's audit log lives beside the records (audit-store.ts).
    sql: `
      CREATE TABLE admin_audit (
        seq INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        actor TEXT NOT NULL,
        address TEXT NOT NULL,
        action TEXT NOT NULL,
        summary TEXT NOT NULL,
        diff TEXT
      );
    `,
  },
  {
    version: 4,
    name: 'a covering time index for the admin request list',
    // Issue 15: the admin UI pages newest first and filters by client, request id and model. An index
    // per filter on random keys made each write cost 2.7x (32 vs 12 us a record, docs/ui.md#requests);
    // one time index that also holds those columns keeps inserts as they were and lets a filter that
    // matches little read the index alone instead of every row (a million rows in ~0.1-0.2 s, not ~0.4).
    sql: `
      DROP INDEX request_records_time;
      CREATE INDEX request_records_time ON request_records (time, client_id, id, model);
    `,
  },
  {
    version: 5,
    name: 'client dialect',
    // Issue 16: the API the client spoke (OpenAI chat, Anthropic Messages, Responses).
    sql: `ALTER TABLE request_records ADD COLUMN dialect TEXT;`,
  },
]

/** Applies the migrations not yet applied, in order; returns the versions it applied. */
export function migrateSqliteRecords(db: SqliteDatabase, migrations: readonly SqliteMigration[] = sqliteRecordMigrations): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS request_records_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL
  )`)
  const latest = db.prepare<[], { version: number | null }>('SELECT max(version) AS version FROM request_records_migrations')
  const note = db.prepare('INSERT INTO request_records_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  const known = migrations.at(-1)?.version ?? 0
  const applied: number[] = []
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      // Read inside the write lock: another process may have applied it while we waited.
      const current = latest.get()?.version ?? 0
      if (current > known) {
        throw new Error(`request records: the database's schema version ${current} is newer than this llm-relay knows (${known}); upgrade llm-relay`)
      }
      if (migration.version <= current) return
      db.exec(migration.sql)
      note.run(migration.version, migration.name, Date.now())
      applied.push(migration.version)
    })
    apply.immediate()
  }
  return applied
}
