import { join } from 'node:path'
import type { Config } from '../config/schema.js'
import { postgresUrl } from '../records/open.js'
import { MemoryAuditStore } from './memory/audit-store.js'
import { PostgresAuditStore } from './postgres/audit-store.js'
import { SqliteAuditStore } from './sqlite/audit-store.js'
import type { AuditStore } from './types.js'

/** The only switch on the audit log's backend: where the records are, or memory when records are off. */
export function openAuditStore(config: Readonly<Config>): AuditStore {
  const { backend, url } = config.records
  if (backend === 'sqlite') return new SqliteAuditStore(url ?? join(config.dataDir, 'records.sqlite'))
  if (backend === 'postgres' && url !== undefined) return new PostgresAuditStore(postgresUrl(url))
  return new MemoryAuditStore()
}
