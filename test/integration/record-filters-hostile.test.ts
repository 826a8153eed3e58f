import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import fc from 'fast-check'
import pg from 'pg'
import type { RequestRecord } from '../../src/records/record.js'
import { PostgresRecordStore } from '../../src/storage/postgres/record-store.js'
import { SqliteRecordStore } from '../../src/storage/sqlite/record-store.js'
import type { RecordQuery, RecordStore } from '../../src/storage/types.js'
import { minimalRecord } from '../contract/record-store.js'
import { sqlInjectionText } from '../helpers/fuzz.js'
import { databaseUrl } from '../helpers/services.js'

// Issue 18 point 5: every filter `logs` and the admin API's request list pass to the record stores
// (route, model, upstream, client, a request id's beginning) takes any text: SQL fragments, quotes,
// LIKE wildcards, backslashes, NUL, long and non-Latin text. On SQLite and PostgreSQL alike the
// answer is exactly the records whose field equals that text (begins with it, for the id), never an
// error, and the table is whole afterwards.

const hostile = fc.oneof(
  fc.constantFrom(...sqlInjectionText, '𝔘𝔫𝔦', 'x'.repeat(600)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
)

const fields = ['route', 'model', 'upstream', 'client'] as const
type Field = (typeof fields)[number]

/** The records the stores are filled with: hostile text stored as values too (what a client could put in a model name). */
function records(values: readonly string[]): RequestRecord[] {
  return values.map((value, index) =>
    minimalRecord(`req-${index}-${value.replace(/\u0000/g, '')}`, 1_700_000_000_000 + index, { route: value, model: value, upstream: value, clientId: value }),
  )
}

const stored = ["' OR 1=1 --", '%', '_', '\\', 'plain', 'gpt-4o', "it's", '𝔘𝔫𝔦']

async function check(store: RecordStore, t: TestContext): Promise<void> {
  await store.write(records(stored))
  const all = await store.query({})
  assert.equal(all.length, stored.length)
  const fieldOf = (record: RequestRecord, field: Field) => (field === 'client' ? record.clientId : record[field])
  await fc.assert(
    fc.asyncProperty(hostile, fc.constantFrom(...fields, 'idPrefix' as const), async (text, field) => {
      const filter: RecordQuery = field === 'idPrefix' ? { idPrefix: text } : { [field]: text }
      const found = await store.query(filter)
      const expected = field === 'idPrefix' ? all.filter((record) => record.id.startsWith(text)) : all.filter((record) => fieldOf(record, field) === text)
      assert.deepEqual(found.map((record) => record.id).sort(), expected.map((record) => record.id).sort(), `${field} = ${JSON.stringify(text)}`)
    }),
    { seed: 18, numRuns: 300 },
  )
  assert.equal((await store.query({})).length, stored.length, 'the table is whole')
  void t
}

test('hostile text in every record filter, SQLite: exact matches only, no error, the table whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-relay-filters-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const store = new SqliteRecordStore({ path: join(dir, 'records.db') })
  t.after(() => store.close())
  await check(store, t)
})

test('hostile text in every record filter, PostgreSQL: exact matches only, no error, the table whole', async (t) => {
  const url = await databaseUrl(t)
  if (url === undefined) return
  const schema = `filters_${randomUUID().slice(0, 8)}`
  const store = new PostgresRecordStore({ url, schema })
  t.after(async () => {
    await store.close()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await client.end()
  })
  await check(store, t)
})
