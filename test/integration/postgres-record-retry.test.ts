import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import pg from 'pg'
import type { RequestRecord } from '../../src/records/record.js'
import { PostgresRecordStore } from '../../src/storage/postgres/record-store.js'
import { minimalRecord } from '../contract/record-store.js'
import { databaseUrl } from '../helpers/services.js'

// Issue 18 point 3 (PostgreSQL stopped under load, none duplicated): a write whose connection breaks
// after the server committed but before its answer arrived failed for the record writer, which tries
// the same batch again. The store must find out that the first try committed and not insert it twice.

const T0 = 1_700_000_000_000

/** When the proxy cuts both sockets: at the answer that ends a commit, or at the answer to the INSERT. */
type Cut = 'after-commit' | 'before-commit'

/**
 * A TCP proxy to PostgreSQL that reads the server's messages (type byte, int32 length) and, once
 * armed, cuts the connection instead of passing the chosen one on: the client sees the connection
 * end and never learns how its statement ended.
 */
async function cuttingProxy(t: TestContext, target: URL): Promise<{ url: string; arm(cut: Cut): void; cuts(): number }> {
  let armed: Cut | undefined
  let cuts = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port) || 5432 })
    sockets.add(client).add(upstream)
    const cut = () => {
      armed = undefined
      cuts++
      client.destroy()
      upstream.destroy()
    }
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream)
    let pending = Buffer.alloc(0)
    let committing = false
    // Whole chunks go on at once, without Nagle's delay: a message per write made each round trip wait ~40 ms.
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      const passed: Buffer[] = []
      while (pending.length >= 5) {
        const length = pending.readInt32BE(1) + 1
        if (pending.length < length) break
        const message = pending.subarray(0, length)
        pending = pending.subarray(length)
        const type = String.fromCharCode(message[0]!)
        // CommandComplete's tag (INSERT 0 n, COMMIT, ...) and ReadyForQuery's status (I: idle, out of any transaction).
        if (type === 'C') committing = /^(INSERT|COMMIT)/.test(message.subarray(5).toString('latin1'))
        if (armed === 'before-commit' && type === 'C' && message.subarray(5).toString('latin1').startsWith('INSERT')) return cut()
        if (armed === 'after-commit' && type === 'Z' && committing && message[5] === 'I'.charCodeAt(0)) return cut()
        if (type === 'Z') committing = false
        passed.push(message)
      }
      client.write(Buffer.concat(passed))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const address = server.address()
  const url = new URL(target)
  url.host = `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  return { url: url.toString(), arm: (cut) => (armed = cut), cuts: () => cuts }
}

async function setUp(t: TestContext) {
  const url = await databaseUrl(t)
  if (url === undefined) return undefined
  const schema = `llm_relay_test_retry_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const direct = new pg.Pool({ connectionString: url, max: 1 })
  t.after(async () => {
    await direct.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await direct.end()
  })
  const proxy = await cuttingProxy(t, new URL(url))
  const store = new PostgresRecordStore({ url: proxy.url, schema })
  t.after(() => store.close())
  await store.write([minimalRecord('warm-up', T0)]) // migrated before any cut
  const stored = async (records: readonly RequestRecord[]) => {
    const { rows } = await direct.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".request_records WHERE id = ANY($1)`, [records.map((record) => record.id)])
    return Number(rows[0]!.n)
  }
  return { proxy, store, stored }
}

const batch = () => Array.from({ length: 3 }, (_, index) => minimalRecord(`r-${randomUUID()}`, T0 + index))

test('a batch whose commit answer was cut off is not written twice when tried again', async (t) => {
  const setup = await setUp(t)
  if (setup === undefined) return
  const { proxy, store, stored } = setup
  const records = batch()
  proxy.arm('after-commit')
  await assert.rejects(store.write(records))
  assert.equal(proxy.cuts(), 1, 'the connection was cut at the commit answer')
  assert.equal(await stored(records), 3, 'the server committed although the client saw an error')
  await store.write(records) // the record writer's retry of the same batch
  assert.equal(await stored(records), 3, 'not inserted twice')
})

test('a batch cut off before its commit is written when tried again', async (t) => {
  const setup = await setUp(t)
  if (setup === undefined) return
  const { proxy, store, stored } = setup
  const records = batch()
  proxy.arm('before-commit')
  await assert.rejects(store.write(records))
  assert.equal(await stored(records), 0, 'nothing committed')
  // The cut transaction may still be ending on the server ('in progress'): the store refuses until it is over.
  // Polled until the server has ended it (a busy server takes longer); 10 s is the bound, not the wait.
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      await store.write(records)
      break
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  assert.equal(await stored(records), 3, 'written once')
})
