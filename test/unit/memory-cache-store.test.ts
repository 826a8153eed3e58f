import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { MemoryCacheStore, type MemoryCacheStoreOptions } from '../../src/storage/memory/cache-store.js'
import { cacheStoreContract } from '../contract/cache-store.js'

cacheStoreContract('memory', ({ maxEntryBytes }) => new MemoryCacheStore({ maxEntryBytes }))

describe('MemoryCacheStore', () => {
  const MINUTE = 60_000
  const T0 = 1_800_000_000_000

  function storeFor(t: TestContext, options: MemoryCacheStoreOptions): MemoryCacheStore {
    const store = new MemoryCacheStore(options)
    t.after(() => store.close())
    return store
  }

  /** Which of `keys` the store still answers at `now` (reads make them recent, as a cache hit would). */
  async function present(store: MemoryCacheStore, keys: string[], now = T0): Promise<string[]> {
    const found: string[] = []
    for (const key of keys) if ((await store.get(key, now)) !== undefined) found.push(key)
    return found
  }

  test('options are checked in the constructor, in words that name the option', () => {
    assert.throws(() => new MemoryCacheStore({ maxEntries: 0 }), /option maxEntries must be a positive integer \(got 0\)/)
    assert.throws(() => new MemoryCacheStore({ maxBytes: 1.5 }), /option maxBytes must be a positive integer/)
    assert.throws(() => new MemoryCacheStore({ maxEntryBytes: -1 }), /option maxEntryBytes must be a positive integer/)
    assert.throws(() => new MemoryCacheStore({ maxBytes: 100, maxEntryBytes: 101 }), /maxEntryBytes \(101\) must not exceed maxBytes \(100\)/)
    assert.throws(() => new MemoryCacheStore({ sweepIntervalMs: 0 }), /option sweepIntervalMs must be a positive integer/)
  })

  test('a small maxBytes lowers the default per-entry cap; a value that fits the cap but not the store with its key is refused', async (t) => {
    const store = storeFor(t, { maxBytes: 100 })
    assert.equal(await store.set('k', Buffer.alloc(99, 1), MINUTE, T0), true, '99 bytes + 1 key character = 100')
    assert.equal(await store.set('k', Buffer.alloc(101), MINUTE, T0), false)
    assert.equal(await store.set('k', Buffer.alloc(100), MINUTE, T0), false, 'at the cap, but 101 with the key')
    assert.deepEqual(await store.get('k', T0), { value: Buffer.alloc(99, 1), storedAt: T0 }, 'the value before the refusals stays')
  })

  test('bytes and entries report the totals: values plus key characters', async (t) => {
    const store = storeFor(t, {})
    await store.set('a', Buffer.alloc(100), MINUTE, T0)
    await store.set('bb', Buffer.alloc(0), MINUTE, T0)
    assert.deepEqual([store.bytes, store.entries], [101 + 2, 2])
    await store.set('a', Buffer.alloc(10), MINUTE, T0)
    assert.deepEqual([store.bytes, store.entries], [11 + 2, 2], 'an overwrite replaces the size')
    await store.delete('a')
    assert.deepEqual([store.bytes, store.entries], [2, 1])
  })

  test('past maxBytes the least recently used go, and each counts as an eviction', async (t) => {
    // Each entry is 99 bytes + a 1-character key: room for exactly 3.
    const store = storeFor(t, { maxBytes: 300, maxEntryBytes: 200 })
    for (const key of ['a', 'b', 'c']) await store.set(key, Buffer.alloc(99, key), MINUTE, T0)
    assert.deepEqual([store.bytes, store.evictions], [300, 0])
    await store.get('a', T0) // a is now more recent than b and c
    await store.set('d', Buffer.alloc(99, 'd'), MINUTE, T0)
    assert.deepEqual(await present(store, ['a', 'b', 'c', 'd']), ['a', 'c', 'd'])
    assert.equal(store.evictions, 1)
    // One large entry pushes out as many as it needs, oldest first.
    await store.set('e', Buffer.alloc(199, 'e'), MINUTE, T0)
    assert.deepEqual(await present(store, ['a', 'c', 'd', 'e']), ['d', 'e'])
    assert.deepEqual([store.bytes, store.entries, store.evictions], [300, 2, 3])
  })

  test('past maxEntries the least recently used go, and each counts as an eviction', async (t) => {
    const store = storeFor(t, { maxEntries: 3 })
    for (const key of ['k1', 'k2', 'k3']) await store.set(key, Buffer.from(key), MINUTE, T0)
    await store.get('k1', T0)
    await store.set('k4', Buffer.from('k4'), MINUTE, T0)
    await store.set('k5', Buffer.from('k5'), MINUTE, T0)
    assert.deepEqual(await present(store, ['k1', 'k2', 'k3', 'k4', 'k5']), ['k1', 'k4', 'k5'])
    assert.deepEqual([store.entries, store.evictions], [3, 2])
  })

  test('overwrites, deletes, refusals and close are not evictions', async () => {
    const store = new MemoryCacheStore({ maxEntryBytes: 10 })
    await store.set('k', Buffer.from('one'), MINUTE, T0)
    await store.set('k', Buffer.from('two'), MINUTE, T0)
    assert.equal(await store.set('k', Buffer.alloc(11), MINUTE, T0), false)
    await store.delete('k')
    await store.set('other', Buffer.from('x'), MINUTE, T0)
    await store.close()
    assert.equal(store.evictions, 0)
    assert.equal(store.entries, 0, 'close lets go of every entry')
  })

  test('an expired entry read is dropped and counted; sweep drops and counts the rest', async (t) => {
    const store = storeFor(t, {})
    await store.set('short', Buffer.from('s'), 1_000, T0)
    await store.set('medium', Buffer.from('m'), 2_000, T0)
    await store.set('long', Buffer.from('l'), MINUTE, T0)
    assert.equal(store.entries, 3)

    assert.equal(await store.get('short', T0 + 1_001), undefined)
    assert.deepEqual([store.entries, store.evictions], [2, 1], 'the read dropped it')

    store.sweep(T0 + 2_000)
    assert.deepEqual([store.entries, store.evictions], [2, 1], 'medium is alive at age = TTL')
    store.sweep(T0 + 2_001)
    assert.deepEqual([store.entries, store.evictions], [1, 2])
    assert.equal(store.bytes, 1 + 'long'.length)
    assert.deepEqual(await present(store, ['short', 'medium', 'long'], T0 + 2_001), ['long'])
  })
})
