import { parentPort, workerData } from 'node:worker_threads'
import type { RecordStore } from '../types.js'
import { SqliteRecordStore } from './record-store.js'
import type { PackedRows } from './row.js'

/**
 * The SQLite record store's thread (threaded-record-store.ts): every write, query and prune runs
 * here, so inserts, index updates and WAL checkpoints never take the gateway's event loop.
 */
type Operation = 'writePacked' | 'query' | 'prune' | 'close'
interface Call {
  id: number
  op: Operation
  arg: unknown
}

const port = parentPort
if (port === null) throw new Error('record-worker runs only as a worker thread')
const { path } = workerData as { path: string }
const store = new SqliteRecordStore({ path })

port.on('message', (call: Call) => {
  run(call).then(
    (result) => port.postMessage({ id: call.id, result }),
    (error: unknown) => port.postMessage({ id: call.id, error: { name: (error as Error).name, message: (error as Error).message } }),
  )
})

function run({ op, arg }: Call): Promise<unknown> {
  switch (op) {
    case 'writePacked':
      return store.writePacked(arg as PackedRows)
    case 'query':
      return store.query(arg as Parameters<RecordStore['query']>[0])
    case 'prune':
      return store.prune(arg as Parameters<RecordStore['prune']>[0])
    case 'close':
      return store.close()
  }
}
