import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test, type TestContext } from 'node:test'
import pg from 'pg'
import { migratePostgresRecords, type PostgresMigration, postgresRecordMigrations } from '../../src/storage/postgres/record-migrations.js'
import { PostgresRecordStore } from '../../src/storage/postgres/record-store.js'
import { createRecordStore } from '../../src/storage/record-store.js'
import { openSqlite } from '../../src/storage/sqlite/database.js'
import { migrateSqliteRecords, sqliteRecordMigrations } from '../../src/storage/sqlite/record-migrations.js'
import { SqliteRecordStore } from '../../src/storage/sqlite/record-store.js'
import { ThreadedSqliteRecordStore } from '../../src/storage/sqlite/threaded-record-store.js'
import { fullRecord, minimalRecord, recordStoreContract } from '../contract/record-store.js'
import { databaseUrl, reachable } from '../helpers/services.js'

const T0 = 1_700_000_000_000
const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const pgReachable = await reachable(pgUrl, 5432)

// ---- SQLite: a temporary folder for the run, a fresh file per store --------------------------------

const dir = mkdtempSync(join(tmpdir(), 'llm-relay-records-'))
const freshFile = () => join(dir, `${randomUUID()}.db`)

// Hooks live in a describe, not at the root: root-level hooks and a module's top-level await do not
// mix (the root can finish before tests registered after the await).
describe('SQLite', () => {
  after(() => rmSync(dir, { recursive: true, force: true }))

  recordStoreContract('sqlite', () => new SqliteRecordStore({ path: freshFile() }))
  // What the gateway uses: the same store on its own thread.
  recordStoreContract('sqlite on a worker thread', () => new ThreadedSqliteRecordStore({ path: freshFile() }))

  describe('SqliteRecordStore', () => {
    test('migrations run once: reopening applies nothing and keeps the records', async () => {
      const path = freshFile()
      const first = new SqliteRecordStore({ path })
      await first.write([fullRecord('kept', T0)])
      await first.close()
      const db = openSqlite(path)
      const before = db.prepare('SELECT version, name, applied_at FROM request_records_migrations').all()
      assert.deepEqual(migrateSqliteRecords(db), [], 'nothing left to apply')
      db.close()

      const second = new SqliteRecordStore({ path })
      assert.deepEqual(await second.query({}), [fullRecord('kept', T0)])
      await second.close()
      const again = openSqlite(path)
      assert.deepEqual(again.prepare('SELECT version, name, applied_at FROM request_records_migrations').all(), before)
      assert.deepEqual(
        before.map((row) => (row as { version: number }).version),
        sqliteRecordMigrations.map((m) => m.version),
      )
      again.close()
    })

    test('a later migration is applied once, after the earlier ones, and a newer database is refused', () => {
      const db = openSqlite(':memory:')
      const extra = { version: 6, name: 'test column', sql: 'ALTER TABLE request_records ADD COLUMN note TEXT' }
      assert.deepEqual(migrateSqliteRecords(db), [1, 2, 3, 4, 5])
      assert.deepEqual(migrateSqliteRecords(db, [...sqliteRecordMigrations, extra]), [6])
      assert.deepEqual(migrateSqliteRecords(db, [...sqliteRecordMigrations, extra]), [])
      assert.ok(db.prepare("SELECT 1 FROM pragma_table_info('request_records') WHERE name = 'note'").get(), 'the later migration ran')
      assert.throws(() => migrateSqliteRecords(db), /schema version 6 is newer than this llm-relay knows \(5\)/)
      db.close()
    })

    test('a failing migration leaves no trace and is tried again', () => {
      const db = openSqlite(':memory:')
      const broken = { version: 6, name: 'broken', sql: 'CREATE TABLE half (x); SELECT no_such_function()' }
      assert.throws(() => migrateSqliteRecords(db, [...sqliteRecordMigrations, broken]), /no_such_function/)
      assert.equal(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'half'").get(), undefined, 'rolled back')
      assert.deepEqual(migrateSqliteRecords(db, [...sqliteRecordMigrations, { ...broken, sql: 'CREATE TABLE half (x)' }]), [6])
      db.close()
    })

    test('the table, its indexes and the WAL are in place', () => {
      const path = freshFile()
      const store = new SqliteRecordStore({ path })
      const db = openSqlite(path)
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'request_records' ORDER BY name").all()
      assert.deepEqual(
        indexes.map((row) => (row as { name: string }).name),
        ['request_records_time'],
      )
      // The admin request list reads client, id and model from the index alone (migration 4).
      const columns = db.prepare("SELECT name FROM pragma_index_info('request_records_time') ORDER BY seqno").all()
      assert.deepEqual(columns.map((row) => (row as { name: string }).name), ['time', 'client_id', 'id', 'model'])
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
      db.close()
      return store.close()
    })

    test('options are checked naming the option', () => {
      assert.throws(() => new SqliteRecordStore({ path: '' }), /options\.path/)
    })
  })

})

// ---- PostgreSQL: a fresh schema per store, all dropped at the end ----------------------------------

const runId = randomUUID().replaceAll('-', '').slice(0, 12)
const schemas: string[] = []
let schemaCount = 0

function freshSchema(): string {
  const schema = `llm_relay_test_${runId}_${++schemaCount}`
  schemas.push(schema)
  return schema
}

async function dropSchemas(): Promise<void> {
  if (schemas.length === 0) return
  const client = new pg.Client({ connectionString: pgUrl })
  await client.connect()
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** A pool of its own on `url`, ended after the test. */
function poolFor(t: TestContext, url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  t.after(() => pool.end())
  return pool
}

async function migrationRows(pool: pg.Pool, schema: string): Promise<{ version: number; applied_at: Date }[]> {
  const { rows } = await pool.query<{ version: number; applied_at: Date }>(`SELECT version, applied_at FROM "${schema}".request_records_migrations ORDER BY version`)
  return rows
}

describe('PostgreSQL', () => {
  after(dropSchemas)

  // The service gate of test/helpers/services.ts at registration time, as the Redis counter contract does.
  if (pgReachable) {
    recordStoreContract('postgres', () => new PostgresRecordStore({ url: pgUrl, schema: freshSchema() }))
  } else {
    test('RecordStore contract: postgres', (t) => {
      const message = `PostgreSQL is not reachable at ${pgUrl}`
      if (process.env.LLM_RELAY_REQUIRE_SERVICES === '1') throw new Error(`${message} (LLM_RELAY_REQUIRE_SERVICES=1)`)
      t.skip(`${message}: skipped (set DATABASE_URL or start it)`)
    })
  }

  describe('PostgresRecordStore', () => {
    test('migrations run once: reopening applies nothing and keeps the records', async (t) => {
      const url = await databaseUrl(t)
      if (!url) return
      const schema = freshSchema()
      const first = new PostgresRecordStore({ url, schema })
      await first.write([fullRecord('kept', T0)])
      await first.close()
      const pool = poolFor(t, url)
      const before = await migrationRows(pool, schema)
      assert.deepEqual(before.map((row) => row.version), [1, 2, 3, 4, 5])
      assert.deepEqual(await migratePostgresRecords(pool, schema), [], 'nothing left to apply')

      const second = new PostgresRecordStore({ url, schema })
      t.after(() => second.close())
      assert.deepEqual(await second.query({}), [fullRecord('kept', T0)])
      assert.deepEqual(await migrationRows(pool, schema), before)
    })

    test('two stores migrating one new schema at once both succeed, and it is migrated once', async (t) => {
      const url = await databaseUrl(t)
      if (!url) return
      const schema = freshSchema()
      const stores = Array.from({ length: 4 }, () => new PostgresRecordStore({ url, schema }))
      t.after(() => Promise.all(stores.map((store) => store.close())))
      await Promise.all(stores.map((store, i) => store.write([minimalRecord(`from-${i}`, T0 + i)])))
      const pool = poolFor(t, url)
      assert.deepEqual((await migrationRows(pool, schema)).map((row) => row.version), [1, 2, 3, 4, 5])
      assert.deepEqual((await stores[0]!.query({})).map((record) => record.id), ['from-3', 'from-2', 'from-1', 'from-0'])
    })

    test('concurrent migrations directly: one applies, the others wait and apply nothing', async (t) => {
      const url = await databaseUrl(t)
      if (!url) return
      const schema = freshSchema()
      const pools = [poolFor(t, url), poolFor(t, url), poolFor(t, url)]
      const applied = await Promise.all(pools.map((pool) => migratePostgresRecords(pool, schema)))
      // Each migration is applied once, by whichever migrator held the lock when it was next.
      assert.deepEqual(applied.flat().sort(), [1, 2, 3, 4, 5])
    })

    test('a later migration is applied once, after the earlier ones, and a newer schema is refused', async (t) => {
      const url = await databaseUrl(t)
      if (!url) return
      const schema = freshSchema()
      const pool = poolFor(t, url)
      const extra: PostgresMigration = { version: 6, name: 'test column', sql: (s) => `ALTER TABLE ${s}.request_records ADD COLUMN note text` }
      assert.deepEqual(await migratePostgresRecords(pool, schema), [1, 2, 3, 4, 5])
      assert.deepEqual(await migratePostgresRecords(pool, schema, [...postgresRecordMigrations, extra]), [6])
      assert.deepEqual(await migratePostgresRecords(pool, schema, [...postgresRecordMigrations, extra]), [])
      await assert.rejects(migratePostgresRecords(pool, schema), /version 6 is newer than this llm-relay knows \(5\)/)
    })

    test('NUL characters and lone surrogates, which PostgreSQL refuses, cost the record nothing else', async (t) => {
      const url = await databaseUrl(t)
      if (!url) return
      const store = new PostgresRecordStore({ url, schema: freshSchema() })
      t.after(() => store.close())
      const odd = 'a\u0000b\ud800c\udc00d'
      const record = minimalRecord('odd', T0, { model: odd, error: odd, level: 'full', content: { request: { [odd]: odd }, response: odd } })
      await store.write([minimalRecord('neighbour', T0 - 1), record])
      const [read, neighbour] = await store.query({})
      assert.deepEqual(neighbour, minimalRecord('neighbour', T0 - 1), 'the batch was written')
      const replaced = 'a\uFFFDb\uFFFDc\uFFFDd'
      assert.equal(read?.model, replaced)
      assert.equal(read?.error, replaced)
      assert.deepEqual(read?.content, { request: { [replaced]: replaced }, response: replaced })
    })

    test('a dead database fails a call fast instead of hanging it', async (t) => {
      const store = new PostgresRecordStore({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 })
      t.after(() => store.close())
      const started = performance.now()
      await assert.rejects(store.write([minimalRecord('lost', T0)]))
      await assert.rejects(store.query({}))
      assert.ok(performance.now() - started < 3000, `rejected within 3 s (took ${Math.round(performance.now() - started)} ms)`)
    })

    test('options are checked naming the option', () => {
      assert.throws(() => new PostgresRecordStore({ url: 'mysql://x' }), /options\.url/)
      assert.throws(() => new PostgresRecordStore({ url: pgUrl, schema: 'x"; DROP' }), /options\.schema/)
      assert.throws(() => new PostgresRecordStore({ url: pgUrl, poolSize: 0 }), /options\.poolSize/)
      assert.throws(() => new PostgresRecordStore({ url: pgUrl, statementTimeoutMs: 1.5 }), /options\.statementTimeoutMs/)
    })
  })
})

describe('createRecordStore', () => {
  test('opens the backend asked for, and names the missing option', async (t) => {
    const store = createRecordStore({ backend: 'sqlite', path: ':memory:' })
    t.after(() => store.close())
    assert.ok(store instanceof ThreadedSqliteRecordStore)
    const remote = createRecordStore({ backend: 'postgres', url: pgUrl, schema: 'unused' })
    assert.ok(remote instanceof PostgresRecordStore)
    await remote.close()
    assert.throws(() => createRecordStore({ backend: 'sqlite' }), /options\.path/)
    assert.throws(() => createRecordStore({ backend: 'postgres' }), /options\.url/)
  })
})
