import { join } from 'node:path'
import type { Config } from '../config/schema.js'
import { createRecordStore } from '../storage/record-store.js'
import type { RecordStore } from '../storage/types.js'

/** The record store of a config (the gateway and the `logs` / `convert` commands open it alike); undefined when records are off. */
export function openRecordStore(config: Readonly<Config>): RecordStore | undefined {
  const { backend, url } = config.records
  if (backend === 'none') return undefined
  if (backend === 'sqlite') return createRecordStore({ backend, path: url ?? join(config.dataDir, 'records.sqlite') })
  if (url === undefined) throw new TypeError('records.backend postgres needs records.url')
  return createRecordStore({ backend, url: postgresUrl(url) })
}

/**
 * A postgres:// URL as it is, or a libpq `key=value` string (openai-api-route's `dbaddr`, e.g.
 * `host=127.0.0.1 port=5432 user=postgres dbname=x sslmode=disable password=y`) turned into one:
 * node-postgres reads only URLs.
 */
export function postgresUrl(dsn: string): string {
  if (/^postgres(ql)?:\/\//.test(dsn)) return dsn
  const fields = new Map<string, string>()
  // Values may be single-quoted with backslash escapes (libpq's rules).
  for (const match of dsn.matchAll(/(\w+)\s*=\s*(?:'((?:\\.|[^'\\])*)'|(\S+))/g)) {
    fields.set(match[1]!, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!)
  }
  if (!fields.has('host') && !fields.has('hostaddr') && !fields.has('dbname')) {
    throw new TypeError('expected a postgres:// URL or a libpq key=value string such as "host=127.0.0.1 dbname=relay"')
  }
  const url = new URL('postgres://localhost')
  const host = fields.get('host') ?? fields.get('hostaddr')
  if (host !== undefined) url.hostname = host.includes(':') ? `[${host}]` : host
  if (fields.has('port')) url.port = fields.get('port')!
  if (fields.has('user')) url.username = encodeURIComponent(fields.get('user')!)
  if (fields.has('password')) url.password = encodeURIComponent(fields.get('password')!)
  url.pathname = `/${encodeURIComponent(fields.get('dbname') ?? '')}`
  for (const [key, value] of fields) {
    if (!['host', 'hostaddr', 'port', 'user', 'password', 'dbname'].includes(key)) url.searchParams.set(key, value)
  }
  return url.toString()
}
