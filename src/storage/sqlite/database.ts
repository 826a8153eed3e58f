import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export type SqliteDatabase = Database.Database

/**
 * Opens (creating it and its folder) an SQLite file for one of the embedded stores, set up for a
 * server: WAL so readers never block the writer, NORMAL sync (durable at each checkpoint, safe
 * against corruption), and a busy timeout so a second process on the same file waits instead of
 * failing at once. `:memory:` opens a private in-memory database (tests).
 */
export function openSqlite(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 2000')
  return db
}
