import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CacheStore } from '../../src/storage/types.js'

/**
 * What every CacheStore backend must do (STYLE.md §6.3), as undici's cacheStoreTests: each backend's
 * test file calls cacheStoreContract(name, create). `create` gets the per-entry cap to use, so the
 * cap is tested at its edge. Times are passed as `now`, near the real clock (Redis' PX runs on its
 * own), so expiry is decided without sleeping; one test sleeps briefly to check the default clock.
 * Keys carry a random suffix, so a shared backend can run this in parallel with other runs.
 *
 * The TTL rule: an entry lives while its age is at most its TTL (lru-cache's and Redis' own rule).
 */

export interface CacheStoreContractOptions {
  maxEntryBytes: number
}

const MAX_ENTRY_BYTES = 1024
const MINUTE = 60_000

export function cacheStoreContract(name: string, create: (options: CacheStoreContractOptions) => Promise<CacheStore> | CacheStore): void {
  describe(`CacheStore contract: ${name}`, () => {
    async function open(t: TestContext): Promise<CacheStore> {
      const store = await create({ maxEntryBytes: MAX_ENTRY_BYTES })
      t.after(() => store.close())
      return store
    }

    const keyOf = (label: string) => `llm-relay-test:${label}:${randomUUID()}`

    test('get of an absent key is undefined', async (t) => {
      const store = await open(t)
      assert.equal(await store.get(keyOf('absent')), undefined)
    })

    test('binary values come back byte for byte: every byte value, zero bytes, NULs, invalid UTF-8', async (t) => {
      const store = await open(t)
      const now = Date.now()
      const values = {
        everyByte: Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
        empty: Buffer.alloc(0),
        nuls: Buffer.alloc(7),
        invalidUtf8: Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xed, 0xa0, 0x80, 0x00, 0xf8]),
        atTheCap: Buffer.alloc(MAX_ENTRY_BYTES, 0xab),
      }
      const keys = Object.fromEntries(Object.keys(values).map((label) => [label, keyOf(label)]))
      for (const [label, value] of Object.entries(values)) assert.equal(await store.set(keys[label]!, value, MINUTE, now), true, label)
      for (const [label, value] of Object.entries(values)) {
        const got = await store.get(keys[label]!, now)
        assert.ok(got && Buffer.isBuffer(got.value), `${label}: a Buffer`)
        assert.equal(got.value.length, value.length, `${label}: length`)
        assert.ok(got.value.equals(value), `${label}: the same bytes`)
      }
    })

    test('storedAt is the `now` of the set, or the clock at the set when none is given', async (t) => {
      const store = await open(t)
      const now = Date.now() - 5_000
      const key = keyOf('stored-at')
      await store.set(key, Buffer.from('x'), MINUTE, now)
      assert.equal((await store.get(key, now + 1_000))?.storedAt, now)

      const before = Date.now()
      await store.set(key, Buffer.from('y'), MINUTE)
      const after = Date.now()
      const got = await store.get(key)
      assert.ok(got && got.storedAt >= before && got.storedAt <= after, `storedAt ${got?.storedAt} within [${before}, ${after}]`)
    })

    test('an entry lives while its age is at most its TTL, and is never returned after', async (t) => {
      const store = await open(t)
      const now = Date.now()
      const key = keyOf('ttl')
      await store.set(key, Buffer.from('answer'), MINUTE, now)
      assert.equal((await store.get(key, now + MINUTE))?.value.toString(), 'answer', 'alive at age = TTL')
      assert.equal(await store.get(key, now + MINUTE + 1), undefined, 'gone 1 ms later')
      assert.equal(await store.get(key, now + 10 * MINUTE), undefined)
    })

    test('with no `now`, the real clock expires entries', async (t) => {
      const store = await open(t)
      const key = keyOf('real-clock')
      // Half a second of life: read back at once even on a busy machine; then gone once the clock has passed it.
      const setAt = Date.now()
      await store.set(key, Buffer.from('soon gone'), 500)
      assert.equal((await store.get(key))?.value.toString(), 'soon gone')
      await sleep(Math.max(0, setAt + 600 - Date.now()))
      assert.equal(await store.get(key), undefined)
    })

    test('set overwrites: the new value, storedAt and TTL replace the old', async (t) => {
      const store = await open(t)
      const now = Date.now()
      const key = keyOf('overwrite')
      await store.set(key, Buffer.from('first, a longer value'), 1_000, now)
      assert.equal(await store.set(key, Buffer.from('second'), MINUTE, now + 500), true)
      const got = await store.get(key, now + 2_000)
      assert.deepEqual(got && { value: got.value.toString(), storedAt: got.storedAt }, { value: 'second', storedAt: now + 500 })
      // A shorter TTL replaces a longer one too.
      await store.set(key, Buffer.from('third'), 1_000, now + 600)
      assert.equal(await store.get(key, now + 1_601), undefined)
    })

    test('delete removes one key; deleting an absent key is fine', async (t) => {
      const store = await open(t)
      const [a, b] = [keyOf('delete-a'), keyOf('delete-b')]
      await store.set(a, Buffer.from('a'), MINUTE)
      await store.set(b, Buffer.from('b'), MINUTE)
      await store.delete(a)
      assert.equal(await store.get(a), undefined)
      assert.equal((await store.get(b))?.value.toString(), 'b')
      await store.delete(a)
      await store.delete(keyOf('never-set'))
    })

    test('a value over the per-entry cap is refused, stores nothing and leaves the key as it was', async (t) => {
      const store = await open(t)
      const now = Date.now()
      const fresh = keyOf('cap-fresh')
      assert.equal(await store.set(fresh, Buffer.alloc(MAX_ENTRY_BYTES + 1), MINUTE, now), false)
      assert.equal(await store.get(fresh, now), undefined)

      const held = keyOf('cap-held')
      await store.set(held, Buffer.from('kept'), MINUTE, now)
      assert.equal(await store.set(held, Buffer.alloc(10 * MAX_ENTRY_BYTES), MINUTE, now + 1), false)
      assert.deepEqual(await store.get(held, now + 2), { value: Buffer.from('kept'), storedAt: now })
    })

    test('keys are isolated, also when one is a prefix of another', async (t) => {
      const store = await open(t)
      const key = keyOf('isolated')
      const keys = [key, `${key}:1`, `${key}:10`, `${key}-`]
      await Promise.all(keys.map((k, i) => store.set(k, Buffer.from(`value ${i}`), MINUTE)))
      assert.deepEqual(await Promise.all(keys.map(async (k) => (await store.get(k))?.value.toString())), keys.map((_, i) => `value ${i}`))
      await store.delete(`${key}:1`)
      assert.deepEqual(await Promise.all(keys.map(async (k) => (await store.get(k))?.value.toString())), ['value 0', undefined, 'value 2', 'value 3'])
    })

    test('the store keeps its own bytes: writing into the set or the returned buffer changes nothing', async (t) => {
      const store = await open(t)
      const key = keyOf('copies')
      const source = Buffer.from('original')
      await store.set(key, source, MINUTE)
      source.fill(0)
      const first = await store.get(key)
      assert.equal(first?.value.toString(), 'original')
      first?.value.fill(0)
      assert.equal((await store.get(key))?.value.toString(), 'original')
    })

    test('bad arguments are refused: empty key, ttlMs not a positive integer, value not a Buffer', async (t) => {
      const store = await open(t)
      const key = keyOf('arguments')
      await assert.rejects(store.set('', Buffer.from('x'), MINUTE), /key must be a non-empty string/)
      for (const ttlMs of [0, -1, 1.5, Number.NaN]) await assert.rejects(store.set(key, Buffer.from('x'), ttlMs), /ttlMs must be a positive integer/)
      await assert.rejects(store.set(key, 'text' as unknown as Buffer, MINUTE), /value must be a Buffer/)
      await assert.rejects(store.get(''), /key must be a non-empty string/)
      assert.equal(await store.get(key), undefined, 'nothing was stored')
    })

    test('close resolves, twice too; the store refuses to work after it', async () => {
      const store = await create({ maxEntryBytes: MAX_ENTRY_BYTES })
      const key = keyOf('close')
      await store.set(key, Buffer.from('x'), MINUTE)
      await store.close()
      await store.close()
      await assert.rejects(store.get(key), /closed/)
      await assert.rejects(store.set(key, Buffer.from('y'), MINUTE), /closed/)
      await assert.rejects(store.delete(key), /closed/)
    })
  })
}
