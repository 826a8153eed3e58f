/** What the bench reads back from a gateway it started: the records it wrote. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'

/** Rows in the SQLite records under a gateway's data dir, read after the gateway stopped (0 when it kept none). */
export function recordsIn(dataDir: string): number {
  const file = join(dataDir, 'records.sqlite')
  if (!existsSync(file)) return 0
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM request_records').get() as { n: number }).n
  } finally {
    db.close()
  }
}
