import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { AuditEntry, AuditStore } from '../../src/storage/types.js'

/** What every AuditStore must do (as test/contract/record-store.ts): `create` returns a store on an empty log of its own. */
export function auditStoreContract(name: string, create: () => AuditStore | Promise<AuditStore>): void {
  describe(`AuditStore contract: ${name}`, () => {
    async function open(t: TestContext): Promise<AuditStore> {
      const store = await create()
      t.after(() => store.close())
      return store
    }
    const entry = (index: number, diff?: string): AuditEntry => ({
      time: 1_700_000_000_000 + index,
      actor: 'admin (session)',
      address: '127.0.0.1',
      action: index % 2 === 0 ? 'config-change' : 'login',
      summary: `entry ${index}: a 'quote', a "double" and ünïcode`,
      ...(diff !== undefined && { diff }),
    })

    test('entries come back newest first, as written, with the diff only where there was one', async (t) => {
      const store = await open(t)
      await store.append(entry(0, '--- a\n+++ b\n-x\n+y\n'))
      await store.append(entry(1))
      const listed = await store.list({ limit: 10 })
      assert.deepEqual(
        listed.map(({ seq, ...rest }) => (assert.ok(typeof seq === 'number'), rest)),
        [entry(1), entry(0, '--- a\n+++ b\n-x\n+y\n')],
      )
      assert.ok(listed[0]!.seq! > listed[1]!.seq!)
    })

    test('pages by seq: limit, then what is older than the last seen', async (t) => {
      const store = await open(t)
      for (let index = 0; index < 7; index++) await store.append(entry(index))
      const first = await store.list({ limit: 3 })
      assert.deepEqual(first.map((item) => item.summary.slice(0, 7)), ['entry 6', 'entry 5', 'entry 4'])
      const second = await store.list({ beforeSeq: first.at(-1)!.seq!, limit: 3 })
      assert.deepEqual(second.map((item) => item.summary.slice(0, 7)), ['entry 3', 'entry 2', 'entry 1'])
      const last = await store.list({ beforeSeq: second.at(-1)!.seq!, limit: 3 })
      assert.deepEqual(last.map((item) => item.summary.slice(0, 7)), ['entry 0'])
    })
  })
}
