import type { Config } from '../config/schema.js'
import type { Logger } from '../log.js'
import type { Backends } from '../backends.js'
import type { RecordStore } from '../storage/types.js'
import { RecordWriter } from './writer.js'

/** The record writer of one records config; kept across reloads while backend and file stay. */
export interface RecordsRuntime {
  readonly key: string
  readonly writer: RecordWriter
  /** The store the writer writes to (the primary of `--workers` writes its workers' batches to it directly). */
  readonly store: RecordStore
}

/** Opens the store and its writer; undefined when records are off. */
export function openRecords(config: Readonly<Config>, logger: Logger, backends: Backends): RecordsRuntime | undefined {
  const records = config.records
  if (records.backend === 'none') return undefined
  const opened = backends.recordStore(config)
  if (opened === undefined) return undefined
  const { store, prunes } = opened
  const writer = new RecordWriter({
    store,
    maxQueue: records.maxQueue,
    flushIntervalMs: records.flushInterval,
    retention: prunes ? { ...(records.maxAge !== undefined && { maxAgeMs: records.maxAge }), ...(records.maxRows !== undefined && { maxRows: records.maxRows }) } : {},
    // The store's error names the database, never a password (pg's messages do not echo the URL).
    onTrouble: (error) => logger.warn({ problem: error.message, dropped: writer.dropped }, 'request records cannot be written right now; the gateway keeps serving'),
    onRecovered: () => logger.info({ dropped: writer.dropped }, 'request records are written again'),
  })
  return { key: recordsKey(config), writer, store }
}

/** What decides whether a reload may keep the writer: where records go and how they are written and kept. */
export function recordsKey(config: Readonly<Config>): string {
  const { backend, url, maxQueue, flushInterval, maxAge, maxRows } = config.records
  return JSON.stringify([backend, url, config.dataDir, maxQueue, flushInterval, maxAge, maxRows])
}
