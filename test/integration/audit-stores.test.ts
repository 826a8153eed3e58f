import { mkdtempSync, rmSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { MemoryAuditStore } from '../../src/storage/memory/audit-store.js'
import { PostgresAuditStore } from '../../src/storage/postgres/audit-store.js'
import { SqliteAuditStore } from '../../src/storage/sqlite/audit-store.js'
import { auditStoreContract } from '../contract/audit-store.js'
import { reachable } from '../helpers/services.js'

// Issue 15 point 6: the admin audit log, on every backend it can live in.

const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const pgReachable = await reachable(pgUrl, 5432)
const dir = mkdtempSync(join(tmpdir(), 'llm-relay-audit-'))
const schemas: string[] = []

describe('audit stores', () => {
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
    if (schemas.length === 0) return
    const client = new pg.Client({ connectionString: pgUrl })
    await client.connect()
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
  })
  auditStoreContract('memory', () => new MemoryAuditStore())
  auditStoreContract('sqlite', () => new SqliteAuditStore(join(dir, `${randomUUID()}.sqlite`)))
  if (pgReachable) {
    auditStoreContract('postgres', () => {
      const schema = `llm_relay_audit_${randomUUID().replaceAll('-', '').slice(0, 12)}`
      schemas.push(schema)
      return new PostgresAuditStore(pgUrl, schema)
    })
  } else {
    test('AuditStore contract: postgres', (t) => {
      const message = `PostgreSQL is not reachable at ${pgUrl}`
      if (process.env.LLM_RELAY_REQUIRE_SERVICES === '1') throw new Error(`${message} (LLM_RELAY_REQUIRE_SERVICES=1)`)
      t.skip(`${message}: skipped (set DATABASE_URL or start it)`)
    })
  }
})
