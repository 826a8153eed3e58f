import type { AuditEntry, AuditStore } from '../types.js'

/** Entries kept at most: the oldest go first. */
const MAX_ENTRIES = 10_000

/** The audit log when records are off (`records.backend: none`): in memory, lost at a restart, bounded. */
export class MemoryAuditStore implements AuditStore {
  readonly #entries: AuditEntry[] = []
  #seq = 0

  async append(entry: AuditEntry): Promise<void> {
    this.#entries.push({ ...entry, seq: ++this.#seq })
    if (this.#entries.length > MAX_ENTRIES) this.#entries.shift()
  }

  async list(options: { beforeSeq?: number; limit: number }): Promise<AuditEntry[]> {
    const older = options.beforeSeq === undefined ? this.#entries : this.#entries.filter((entry) => entry.seq! < options.beforeSeq!)
    return older.slice(-options.limit).reverse()
  }

  async close(): Promise<void> {}
}
