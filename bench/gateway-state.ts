/** What the bench reads back from a gateway it started: its reload count, and the records it wrote. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'

/** llm_relay_config_reloads_total{result="applied"} on the gateway's /metrics (0 before the first). */
export async function appliedReloads(gatewayUrl: string): Promise<number> {
  const response = await fetch(`${gatewayUrl}/metrics`)
  const text = await response.text()
  const match = /^llm_relay_config_reloads_total\{result="applied"\} (\d+)/m.exec(text)
  return match === null ? 0 : Number(match[1])
}

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
