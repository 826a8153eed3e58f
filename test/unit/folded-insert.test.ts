import assert from 'node:assert/strict'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import type { RequestRecord } from '../../src/records/record.js'
import { recordColumns } from '../../src/storage/record-row.js'
import { FoldedInsert } from '../../src/storage/sqlite/folded-insert.js'
import { migrateSqliteRecords } from '../../src/storage/sqlite/record-migrations.js'
import { packRows, sqliteRow } from '../../src/storage/sqlite/row.js'

function record(index: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: `req-${index}`,
    time: 1_764_770_000_000 + index,
    route: '/',
    method: 'POST',
    path: '/v1/chat/completions',
    clientIp: '127.0.0.1',
    model: 'gpt-4o-mini',
    stream: false,
    upstream: 'mock',
    attempts: [{ upstream: 'mock', status: 200, durationMs: 1 + index / 10 }],
    status: 200,
    headersMs: 1.5,
    totalMs: 2 + index / 7,
    promptTokens: 9,
    completionTokens: index,
    totalTokens: 9 + index,
    tokensSource: 'upstream',
    level: 'meta',
    ...overrides,
  }
}

function openTable(): Database.Database {
  const db = new Database(':memory:')
  migrateSqliteRecords(db)
  return db
}

/** Every row of the table as stored, with SQLite's own type of each value. */
function stored(db: Database.Database): unknown[] {
  const columns = recordColumns.map((name) => `${name}, typeof(${name}) AS ${name}_type`).join(', ')
  return db.prepare(`SELECT ${columns} FROM request_records ORDER BY seq`).all()
}

/** Rows that exercise every way a value can be folded or bound. */
function mixedRecords(): RequestRecord[] {
  const records: RequestRecord[] = []
  for (let index = 0; index < 200; index++) {
    // A dominant set, a second one interleaved, and rare ones.
    if (index % 3 === 0) records.push(record(index, { model: "o'brien-model", userAgent: 'OpenAI/Python 1.52.0', stream: true }))
    // Differs from the dominant set in one column only.
    else if (index % 5 === 1) records.push(record(index, { route: '/v2' }))
    else if (index % 17 === 0) records.push(record(index, { route: `/rare-${index}`, error: `failed at ${index}`, status: 502 }))
    else records.push(record(index))
  }
  // Long runs of one set, which go in many rows to a statement, broken by other sets.
  for (let index = 240; index < 400; index++) {
    if (index % 70 === 0) records.push(record(index, { route: '/v2' }))
    else records.push(record(index, { stream: true }))
  }
  // A run of one statement whose rows differ in a bound value (a long user agent each).
  for (let index = 400; index < 480; index++) records.push(record(index, { userAgent: `${'u'.repeat(300)}-${index}` }))
  // Values that must stay bound: NUL, the key separator, a long text, a long error on a common set.
  for (let index = 480; index < 520; index++) {
    records.push(record(index, { userAgent: 'agent\u0000with-nul' }))
    records.push(record(index, { userAgent: 'agent\u0001sep' }))
    records.push(record(index, { userAgent: 'u'.repeat(500) }))
    records.push(record(index, { error: `upstream said ${'x'.repeat(300)}`, content: { response: 'hi' }, level: 'full' }))
  }
  return records
}

test('FoldedInsert stores exactly what binding every value stores, values and types alike', () => {
  const records = mixedRecords()
  const plainDb = openTable()
  const plain = plainDb.prepare(`INSERT INTO request_records (${recordColumns.join(', ')}) VALUES (${recordColumns.map(() => '?').join(', ')})`)
  for (const record of records) plain.run(sqliteRow(record))
  const foldedDb = openTable()
  const folded = new FoldedInsert(foldedDb, { foldAfter: 4, maxStatements: 3 })
  // Batches of several sizes, so that runs of one set are cut at batch ends too.
  for (let at = 0, size = 1; at < records.length; at += size, size = (size * 7) % 97 + 1) folded.insertPacked(packRows(records.slice(at, at + size)))
  assert.ok(folded.foldedStatements >= 2, `value sets were folded (${folded.foldedStatements} statements)`)
  const expected = stored(plainDb)
  assert.equal(expected.length, records.length)
  assert.deepEqual(stored(foldedDb), expected)
})

test('FoldedInsert folds a value set once it was seen foldAfter times, and keeps at most maxStatements', () => {
  const db = openTable()
  const insert = new FoldedInsert(db, { foldAfter: 5, maxStatements: 2 })
  for (let index = 0; index < 4; index++) insert.insertPacked(packRows([record(index)]))
  assert.equal(insert.foldedStatements, 0, 'four rows of a set are not enough')
  insert.insertPacked(packRows([record(4)]))
  assert.equal(insert.foldedStatements, 1, 'the fifth row folds its set')
  // Sets taking turns row by row are counted too.
  for (let index = 0; index < 10; index++) {
    insert.insertPacked(packRows([record(index, { model: 'model-a' }), record(index, { model: 'model-b' })]))
  }
  assert.equal(insert.foldedStatements, 2, 'no more statements than maxStatements')
  assert.equal((db.prepare('SELECT count(*) AS n FROM request_records').get() as { n: number }).n, 25)
  assert.deepEqual(
    db.prepare("SELECT model, count(*) AS n FROM request_records GROUP BY model ORDER BY model").all(),
    [
      { model: 'gpt-4o-mini', n: 5 },
      { model: 'model-a', n: 10 },
      { model: 'model-b', n: 10 },
    ],
  )
})

test('FoldedInsert never folds a value that could end or confuse the statement', () => {
  const db = openTable()
  const insert = new FoldedInsert(db, { foldAfter: 1 })
  const hostile = ["'); DROP TABLE request_records; --", 'with\u0000nul', 'with\u0001separator']
  insert.insertPacked(packRows(hostile.flatMap((userAgent) => [0, 1, 2].map((index) => record(index, { userAgent })))))
  const agents = db.prepare('SELECT user_agent FROM request_records ORDER BY seq').pluck().all()
  assert.deepEqual(agents, hostile.flatMap((agent) => [agent, agent, agent]))
})
