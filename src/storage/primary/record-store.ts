import type { Link } from '../../cluster/link.js'
import type { RequestRecord } from '../../records/record.js'
import type { RecordPruneOptions, RecordQuery, RecordStore } from '../types.js'

/**
 * A worker's record store with `--workers` and SQLite records: each batch the worker's RecordWriter
 * writes is written by the primary, the one writer of the file (SQLite allows one at a time; a queue
 * per worker behind the file's lock would stall). Reads (`logs`, the admin UI) open the file
 * themselves; retention runs in the primary.
 */
export class PrimaryRecordStore implements RecordStore {
  constructor(private readonly link: Link) {}

  async write(records: readonly RequestRecord[]): Promise<void> {
    if (records.length === 0) return
    // As long as a write to the file itself may take: the writer retries a failed batch.
    await this.link.call('records.write', records, 30_000)
  }

  query(_filter: RecordQuery): Promise<RequestRecord[]> {
    return Promise.reject(new Error('a worker reads records from the database itself, not through the primary'))
  }

  async prune(_options: RecordPruneOptions): Promise<number> {
    return 0
  }

  async close(): Promise<void> {}
}
