import { Worker } from 'node:worker_threads'
import type { RequestRecord } from '../../records/record.js'
import type { RecordPruneOptions, RecordQuery, RecordStore } from '../types.js'
import { packRows } from './row.js'

interface Reply {
  id: number
  result?: unknown
  error?: { name: string; message: string }
}

const fromSource = import.meta.url.endsWith('.ts')
const workerUrl = new URL(fromSource ? './record-worker.ts' : './record-worker.js', import.meta.url)

/**
 * The built worker is a plain module. Run from the TypeScript sources (tests), a worker thread does
 * not inherit tsx's loader, so it registers tsx itself before importing the .ts worker.
 */
function startWorker(path: string): Worker {
  if (!fromSource) return new Worker(workerUrl, { workerData: { path } })
  // Resolved here: the eval'd bootstrap would resolve a bare name against the working directory.
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}) })`
  return new Worker(bootstrap, { eval: true, workerData: { path } })
}

/**
 * SqliteRecordStore on a worker thread. better-sqlite3 is synchronous: measured at c=64, inserting on
 * the event loop (about 7 us a record with its indexes, plus WAL checkpoints) cost the gateway a
 * third of its throughput; here the main thread only hands over each batch. Same contract as
 * SqliteRecordStore; a store that cannot open (a bad path, a newer schema) fails its first call.
 */
export class ThreadedSqliteRecordStore implements RecordStore {
  readonly #worker: Worker
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  #next = 0
  #broken: Error | undefined
  #closing: Promise<void> | undefined

  constructor(options: { path: string }) {
    this.#worker = startWorker(options.path)
    // The thread never keeps the process alive by itself: the writer closes it at shutdown.
    this.#worker.unref()
    this.#worker.on('message', (reply: Reply) => {
      const call = this.#pending.get(reply.id)
      if (call === undefined) return
      this.#pending.delete(reply.id)
      if (reply.error === undefined) call.resolve(reply.result)
      else call.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }))
    })
    this.#worker.on('error', (error) => this.#fail(error))
    this.#worker.on('exit', (code) => this.#fail(new Error(`the record store's thread stopped (exit code ${code})`)))
  }

  write(records: readonly RequestRecord[]): Promise<void> {
    // An empty batch needs no trip to the thread; after close() #call refuses it like any other.
    if (records.length === 0 && this.#closing === undefined) return Promise.resolve()
    // Packed rows, not records: measured, cloning them costs the event loop and the thread about a
    // fifth of what cloning the record objects did (row.ts).
    return this.#call('writePacked', packRows(records)) as Promise<void>
  }

  query(filter: RecordQuery): Promise<RequestRecord[]> {
    return this.#call('query', filter) as Promise<RequestRecord[]>
  }

  prune(options: RecordPruneOptions): Promise<number> {
    return this.#call('prune', options) as Promise<number>
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        if (this.#broken === undefined) await this.#send('close', undefined)
      } finally {
        await this.#worker.terminate()
      }
    })()
    return this.#closing
  }

  #call(op: 'writePacked' | 'query' | 'prune', arg: unknown): Promise<unknown> {
    if (this.#closing !== undefined) return Promise.reject(new Error('ThreadedSqliteRecordStore: closed'))
    return this.#send(op, arg)
  }

  #send(op: string, arg: unknown): Promise<unknown> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken)
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#worker.postMessage({ id, op, arg })
    })
  }

  #fail(error: Error): void {
    this.#broken ??= error
    for (const call of this.#pending.values()) call.reject(error)
    this.#pending.clear()
  }
}
