import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { MemoryCounterStore } from '../../src/storage/memory/counter-store.js'
import type { WindowStrategy } from '../../src/storage/types.js'
import { counterStoreContract } from '../contract/counter-store.js'

counterStoreContract('memory', () => new MemoryCounterStore())

describe('MemoryCounterStore', () => {
  const MINUTE = 60_000
  const base = 100 * MINUTE
  const limit = (key: string, max = 1, windowMs = MINUTE) => ({ key, limit: max, windowMs })

  test('keeps at most maxKeys keys, dropping the least recently used', async (t) => {
    const store = new MemoryCounterStore({ maxKeys: 3 })
    t.after(() => store.close())
    for (const key of ['k1', 'k2', 'k3']) await store.consume([limit(key)], 1, 'fixed-window', base)
    await store.consume([limit('k1')], 0, 'fixed-window', base) // a read makes k1 recent
    await store.consume([limit('k4')], 1, 'fixed-window', base)
    assert.equal(store.size, 3)
    assert.equal((await store.consume([limit('k1')], 1, 'fixed-window', base)).admitted, false, 'k1 kept its count')
    assert.equal((await store.consume([limit('k2')], 1, 'fixed-window', base)).admitted, true, 'k2 was evicted and starts over')
    assert.equal(store.size, 3)
  })

  test('sweep drops counters once they no longer matter, per strategy', async (t) => {
    const store = new MemoryCounterStore()
    t.after(() => store.close())
    const strategies: WindowStrategy[] = ['fixed-window', 'fixed-window-elastic-expiry', 'moving-window']
    for (const strategy of strategies) await store.consume([limit(strategy)], 1, strategy, base)
    store.sweep(base + MINUTE - 1)
    assert.equal(store.size, 3)
    store.sweep(base + MINUTE)
    assert.equal(store.size, 1, 'the moving window still weighs its previous bucket')
    store.sweep(base + 2 * MINUTE)
    assert.equal(store.size, 0)
  })

  test('an expired counter is dropped when read; checks and give-backs create nothing', async (t) => {
    const store = new MemoryCounterStore()
    t.after(() => store.close())
    await store.consume([limit('a')], 1, 'fixed-window', base)
    await store.consume([limit('a')], 0, 'fixed-window', base + MINUTE)
    assert.equal(store.size, 0)
    await store.consume([limit('b')], 0, 'moving-window', base)
    await store.adjust([limit('c')], -3, 'fixed-window-elastic-expiry', base)
    await store.adjust([limit('d')], 0, 'fixed-window', base)
    assert.equal(store.size, 0)
  })

  test('the sweep timer drops expired counters by itself', async (t) => {
    const store = new MemoryCounterStore({ sweepIntervalMs: 5 })
    t.after(() => store.close())
    await store.consume([limit('old')], 1, 'fixed-window', Date.now() - 2 * MINUTE)
    await store.consume([limit('live', 1, 10 * MINUTE)], 1, 'fixed-window-elastic-expiry')
    // Swept every 5 ms: wait for it (bounded), whatever the machine is doing.
    const deadline = Date.now() + 5_000
    while (store.size > 1 && Date.now() < deadline) await sleep(5)
    assert.equal(store.size, 1)
  })

  test('close empties the store', async () => {
    const store = new MemoryCounterStore()
    await store.consume([limit('a')], 1, 'fixed-window', base)
    await store.close()
    assert.equal(store.size, 0)
  })

  test('options are validated with a message naming the option', () => {
    for (const maxKeys of [0, -1, 1.5, Number.NaN, '10' as unknown as number]) {
      assert.throws(() => new MemoryCounterStore({ maxKeys }), /option maxKeys must be a positive integer/)
    }
    assert.throws(() => new MemoryCounterStore({ sweepIntervalMs: 0 }), /option sweepIntervalMs must be a positive integer \(got 0\)/)
  })

  test('bad arguments are rejected, never treated as no limit', async (t) => {
    const store = new MemoryCounterStore()
    t.after(() => store.close())
    await assert.rejects(store.consume([limit('a')], -1, 'fixed-window', base), /amount must be a finite number >= 0/)
    await assert.rejects(store.consume([limit('a')], Number.NaN, 'fixed-window', base), /amount/)
    await assert.rejects(store.adjust([limit('a')], Number.POSITIVE_INFINITY, 'fixed-window', base), /delta/)
    await assert.rejects(store.consume([limit('a', 1, 0)], 1, 'fixed-window', base), /limit a: windowMs must be a positive integer/)
    await assert.rejects(store.consume([limit('a', -1)], 1, 'fixed-window', base), /limit a: limit must be/)
    await assert.rejects(store.consume([limit('a')], 1, 'sliding' as WindowStrategy, base), /unknown window strategy "sliding"/)
  })

  test('an amount above the limit is refused, with the wait until the counter is empty', async (t) => {
    const store = new MemoryCounterStore()
    t.after(() => store.close())
    await store.consume([limit('big', 10)], 4, 'moving-window', base)
    const refused = await store.consume([limit('big', 10)], 11, 'moving-window', base + 10_000)
    assert.deepEqual([refused.admitted, refused.retryAfterMs], [false, 2 * MINUTE - 10_000])
    const fixed = await store.consume([limit('big-fixed', 10)], 11, 'fixed-window', base + 10_000)
    assert.deepEqual([fixed.admitted, fixed.retryAfterMs], [false, MINUTE - 10_000])
  })
})
