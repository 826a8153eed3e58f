import { PostgresRecordStore } from './postgres/record-store.js'
import { ThreadedSqliteRecordStore } from './sqlite/threaded-record-store.js'
import type { RecordStore } from './types.js'

export interface RecordStoreOptions {
  backend: 'sqlite' | 'postgres'
  /** SQLite: the database file. */
  path?: string
  /** PostgreSQL: the connection URL. */
  url?: string
  /** PostgreSQL: the schema holding the tables; default `public`. */
  schema?: string
}

/** The only switch on the records backend. */
export function createRecordStore(options: RecordStoreOptions): RecordStore {
  switch (options.backend) {
    case 'sqlite':
      if (options.path === undefined) throw new TypeError('createRecordStore: the sqlite backend needs options.path (the database file)')
      // On its own thread: SQLite's work never takes the gateway's event loop (threaded-record-store.ts).
      return new ThreadedSqliteRecordStore({ path: options.path })
    case 'postgres':
      if (options.url === undefined) throw new TypeError('createRecordStore: the postgres backend needs options.url (a postgres:// URL)')
      return new PostgresRecordStore({ url: options.url, schema: options.schema })
    default:
      throw new TypeError(`createRecordStore: options.backend must be 'sqlite' or 'postgres' (got ${String(options.backend satisfies never)})`)
  }
}
