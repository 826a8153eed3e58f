import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test, type TestContext } from 'node:test'
import type { ConsumeResult, CounterStore, WindowLimit, WindowStrategy } from '../../src/storage/types.js'

/**
 * What every CounterStore backend must do (STYLE.md §6.3), as undici's cacheStoreTests: each backend's
 * test file calls counterStoreContract(name, create). The clock is the `now` argument throughout, so
 * windows are deterministic; a backend must decide windows by `now`, never by its own clock (Redis TTLs
 * may only collect garbage). Keys carry a random suffix, so a shared backend can run this in parallel
 * and a rerun never meets an old run's counters. Times start at the next whole hour, in the future, so
 * every window used here (1 s to 10 min) is aligned on `base` and a TTL computed from `now` stays positive.
 */

const strategies: readonly WindowStrategy[] = ['fixed-window', 'fixed-window-elastic-expiry', 'moving-window']
const MINUTE = 60_000
const HOUR = 3_600_000

export function counterStoreContract(name: string, create: () => Promise<CounterStore> | CounterStore): void {
  describe(`CounterStore contract: ${name}`, () => {
    const base = (Math.floor(Date.now() / HOUR) + 1) * HOUR

    async function open(t: TestContext): Promise<CounterStore> {
      const store = await create()
      t.after(() => store.close())
      return store
    }

    function limitOf(label: string, limit: number, windowMs = MINUTE): WindowLimit {
      return { key: `llm-relay-test:${label}:${randomUUID()}`, limit, windowMs }
    }

    /** `count` consumes of `amount`, one after the other; the results in order. */
    async function consumeMany(store: CounterStore, limits: WindowLimit[], count: number, amount: number, strategy: WindowStrategy, now: number) {
      const results: ConsumeResult[] = []
      for (let i = 0; i < count; i++) results.push(await store.consume(limits, amount, strategy, now))
      return results
    }

    for (const strategy of strategies) {
      describe(strategy, () => {
        test('admits exactly the limit within a window, then refuses', async (t) => {
          const store = await open(t)
          const limit = limitOf('exact', 5)
          const admitted = await consumeMany(store, [limit], 5, 1, strategy, base)
          assert.deepEqual(
            admitted.map((r) => [r.admitted, r.states[0]?.remaining, r.retryAfterMs]),
            [4, 3, 2, 1, 0].map((remaining) => [true, remaining, 0]),
          )
          const refused = await store.consume([limit], 1, strategy, base + 1_000)
          assert.equal(refused.admitted, false)
          assert.equal(refused.states[0]?.remaining, 0)
          assert.equal(refused.states[0]?.limit, 5)
          assert.ok(refused.retryAfterMs >= 1, `retryAfterMs ${refused.retryAfterMs}`)
        })

        test('amounts above 1 (tokens) meet the limit exactly', async (t) => {
          const store = await open(t)
          const limit = limitOf('tokens', 1000)
          const nine = await consumeMany(store, [limit], 9, 100, strategy, base)
          assert.ok(nine.every((r) => r.admitted))
          assert.equal(nine[8]?.states[0]?.remaining, 100)
          const tooMuch = await store.consume([limit], 150, strategy, base)
          assert.equal(tooMuch.admitted, false, '150 does not fit in the last 100')
          assert.equal(tooMuch.states[0]?.remaining, 100, 'a refusal consumes nothing')
          const tenth = await store.consume([limit], 100, strategy, base)
          assert.equal(tenth.admitted, true, 'the tenth 100 fits exactly')
          assert.equal(tenth.states[0]?.remaining, 0)
          assert.equal((await store.consume([limit], 100, strategy, base)).admitted, false, 'the eleventh is refused')
          assert.equal((await store.consume([limit], 1, strategy, base)).admitted, false)
        })

        test('several limits are all or nothing: a refusal by one changes neither counter', async (t) => {
          const store = await open(t)
          const perMinute = limitOf('all-a', 5)
          const perTenMinutes = limitOf('all-b', 3, 10 * MINUTE)
          const both = [perMinute, perTenMinutes]
          assert.ok((await consumeMany(store, both, 3, 1, strategy, base)).every((r) => r.admitted))
          const refused = await store.consume(both, 1, strategy, base)
          assert.equal(refused.admitted, false)
          assert.deepEqual(refused.states.map((s) => [s.limit, s.remaining]), [[5, 2], [3, 0]], 'states in the order given')
          const aloneAfter = await store.consume([perMinute], 2, strategy, base)
          assert.equal(aloneAfter.admitted, true, 'the refused request did not count against the limit with room')
          assert.equal(aloneAfter.states[0]?.remaining, 0)
          assert.equal((await store.consume([perTenMinutes], 0, strategy, base)).states[0]?.remaining, 0)
        })

        test('amount 0 checks without consuming', async (t) => {
          const store = await open(t)
          const limit = limitOf('check', 2)
          const checks = await consumeMany(store, [limit], 5, 0, strategy, base)
          assert.deepEqual(checks.map((r) => [r.admitted, r.states[0]?.remaining]), Array(5).fill([true, 2]))
          assert.ok((await consumeMany(store, [limit], 2, 1, strategy, base)).every((r) => r.admitted))
          const full = await store.consume([limit], 0, strategy, base)
          assert.deepEqual([full.admitted, full.states[0]?.remaining], [true, 0], 'a full window still has room for nothing')
          assert.equal((await store.consume([limit], 1, strategy, base)).admitted, false)
        })

        test('adjust adds and gives back, never below zero, and the next consume sees it', async (t) => {
          const store = await open(t)
          const limit = limitOf('adjust', 10)
          await store.consume([limit], 5, strategy, base)
          await store.adjust([limit], 3, strategy, base)
          assert.equal((await store.consume([limit], 0, strategy, base)).states[0]?.remaining, 2)
          assert.equal((await store.consume([limit], 3, strategy, base)).admitted, false)
          await store.adjust([limit], -100, strategy, base)
          assert.equal((await store.consume([limit], 0, strategy, base)).states[0]?.remaining, 10, 'clamped at zero, not -92')
          assert.ok((await store.consume([limit], 10, strategy, base)).admitted)
          assert.equal((await store.consume([limit], 1, strategy, base)).admitted, false)
          // Settling a larger true usage can overdraw: then even a check is refused.
          await store.adjust([limit], 5, strategy, base)
          const over = await store.consume([limit], 0, strategy, base)
          assert.deepEqual([over.admitted, over.states[0]?.remaining], [false, 0])
        })

        test('adjust on a key with nothing counted gives nothing back below zero', async (t) => {
          const store = await open(t)
          const limit = limitOf('adjust-empty', 3)
          await store.adjust([limit], -5, strategy, base)
          assert.equal((await consumeMany(store, [limit], 4, 1, strategy, base)).filter((r) => r.admitted).length, 3)
        })

        test('independent keys do not interfere', async (t) => {
          const store = await open(t)
          const a = limitOf('independent-a', 1)
          const b = limitOf('independent-b', 1)
          assert.ok((await store.consume([a], 1, strategy, base)).admitted)
          assert.ok((await store.consume([b], 1, strategy, base)).admitted)
          assert.equal((await store.consume([a], 1, strategy, base)).admitted, false)
          assert.equal((await store.consume([b], 1, strategy, base)).admitted, false)
        })

        test('waiting retryAfterMs is enough to be admitted', async (t) => {
          const store = await open(t)
          const limit = limitOf('retry', 3)
          await consumeMany(store, [limit], 3, 1, strategy, base + 10_000)
          const refused = await store.consume([limit], 1, strategy, base + 20_000)
          assert.equal(refused.admitted, false)
          assert.ok(refused.retryAfterMs >= 1 && refused.retryAfterMs <= 2 * MINUTE, `retryAfterMs ${refused.retryAfterMs}`)
          if (strategy !== 'moving-window') {
            // Exact for the fixed strategies; moving-window's is a documented estimate.
            assert.equal((await store.consume([limit], 1, strategy, base + 20_000 + refused.retryAfterMs - 1)).admitted, false)
          }
          assert.equal((await store.consume([limit], 1, strategy, base + 20_000 + refused.retryAfterMs)).admitted, true)
        })

        test('200 concurrent consumes of 1 on a limit of 50 admit exactly 50', async (t) => {
          const store = await open(t)
          const limit = limitOf('concurrent', 50)
          const results = await Promise.all(Array.from({ length: 200 }, () => store.consume([limit], 1, strategy, base)))
          assert.equal(results.filter((r) => r.admitted).length, 50)
          assert.ok(results.filter((r) => !r.admitted).every((r) => r.states[0]?.remaining === 0 && r.retryAfterMs >= 1))
        })
      })
    }

    describe('fixed-window in detail', () => {
      const strategy = 'fixed-window'

      test('windows are aligned; remaining, resetAt and retryAfterMs are exact; a new window admits again', async (t) => {
        const store = await open(t)
        const limit = limitOf('fixed-values', 2)
        const first = await store.consume([limit], 1, strategy, base + 10_000)
        assert.deepEqual(first, { admitted: true, states: [{ limit: 2, remaining: 1, resetAt: base + MINUTE }], retryAfterMs: 0 })
        await store.consume([limit], 1, strategy, base + 15_000)
        const refused = await store.consume([limit], 1, strategy, base + 20_000)
        assert.deepEqual(refused, { admitted: false, states: [{ limit: 2, remaining: 0, resetAt: base + MINUTE }], retryAfterMs: 40_000 })
        assert.equal((await store.consume([limit], 1, strategy, base + MINUTE - 1)).retryAfterMs, 1)
        const next = await store.consume([limit], 1, strategy, base + MINUTE)
        assert.deepEqual(next, { admitted: true, states: [{ limit: 2, remaining: 1, resetAt: base + 2 * MINUTE }], retryAfterMs: 0 })
      })

      test('retryAfterMs is the longest wait over the refusing limits only', async (t) => {
        const store = await open(t)
        const short = limitOf('fixed-short', 1)
        const long = limitOf('fixed-long', 1, 10 * MINUTE)
        await store.consume([short, long], 1, strategy, base + 1_000)
        const both = await store.consume([short, long], 1, strategy, base + 2_000)
        assert.equal(both.retryAfterMs, 10 * MINUTE - 2_000)
        assert.deepEqual(both.states.map((s) => s.resetAt), [base + MINUTE, base + 10 * MINUTE])

        const roomy = limitOf('fixed-roomy', 5, 10 * MINUTE)
        const tight = limitOf('fixed-tight', 1)
        await store.consume([roomy, tight], 1, strategy, base + 1_000)
        const one = await store.consume([roomy, tight], 1, strategy, base + 2_000)
        assert.equal(one.admitted, false)
        assert.equal(one.retryAfterMs, MINUTE - 2_000, 'the limit with room does not lengthen the wait')
        assert.equal(one.states[0]?.remaining, 4)
      })
    })

    describe('fixed-window-elastic-expiry in detail', () => {
      const strategy = 'fixed-window-elastic-expiry'

      test('each admitted hit pushes the expiry to now + window; a refused hit or a check does not', async (t) => {
        const store = await open(t)
        const limit = limitOf('elastic-push', 2)
        const first = await store.consume([limit], 1, strategy, base + 10_000)
        assert.deepEqual(first.states, [{ limit: 2, remaining: 1, resetAt: base + 10_000 + MINUTE }])
        const second = await store.consume([limit], 1, strategy, base + 50_000)
        assert.deepEqual(second.states, [{ limit: 2, remaining: 0, resetAt: base + 50_000 + MINUTE }])
        // A fixed window would have reset at base + MINUTE.
        const refused = await store.consume([limit], 1, strategy, base + 80_000)
        assert.deepEqual(refused, { admitted: false, states: [{ limit: 2, remaining: 0, resetAt: base + 110_000 }], retryAfterMs: 30_000 })
        assert.equal((await store.consume([limit], 0, strategy, base + 90_000)).states[0]?.resetAt, base + 110_000)
        assert.equal((await store.consume([limit], 1, strategy, base + 110_000 - 1)).admitted, false)
        const fresh = await store.consume([limit], 1, strategy, base + 110_000)
        assert.deepEqual(fresh.states, [{ limit: 2, remaining: 1, resetAt: base + 110_000 + MINUTE }])
      })

      test('adjust pushes the expiry when it adds, not when it gives back', async (t) => {
        const store = await open(t)
        const limit = limitOf('elastic-adjust', 3)
        await store.consume([limit], 2, strategy, base)
        await store.adjust([limit], -1, strategy, base + 30_000)
        assert.deepEqual((await store.consume([limit], 0, strategy, base + 30_000)).states, [{ limit: 3, remaining: 2, resetAt: base + MINUTE }])
        await store.adjust([limit], 1, strategy, base + 40_000)
        assert.deepEqual((await store.consume([limit], 0, strategy, base + 40_000)).states, [{ limit: 3, remaining: 1, resetAt: base + 40_000 + MINUTE }])
      })
    })

    describe('moving-window in detail', () => {
      const strategy = 'moving-window'

      test('capacity frees gradually across the bucket boundary (previous × (1 − elapsed) + current)', async (t) => {
        const store = await open(t)
        const limit = limitOf('moving-gradual', 10)
        assert.ok((await consumeMany(store, [limit], 10, 1, strategy, base)).every((r) => r.admitted))
        // A fixed window would admit 10 again here; the previous bucket still weighs in full.
        const atBoundary = await store.consume([limit], 1, strategy, base + MINUTE)
        assert.deepEqual([atBoundary.admitted, atBoundary.states[0]?.remaining], [false, 0])
        assert.equal(atBoundary.retryAfterMs, 6_000, '10 × (1 − 6/60) = 9 leaves room for 1')
        assert.equal((await store.consume([limit], 1, strategy, base + MINUTE + 5_999)).admitted, false)
        const tenth = await store.consume([limit], 1, strategy, base + MINUTE + 6_000)
        assert.deepEqual(tenth, { admitted: true, states: [{ limit: 10, remaining: 0, resetAt: base + 2 * MINUTE }], retryAfterMs: 0 })
        // Halfway: 10 × 0.5 + 1 = 6 counted, so 4 more fit and a fifth does not.
        assert.equal((await store.consume([limit], 0, strategy, base + MINUTE + 30_000)).states[0]?.remaining, 4)
        assert.equal((await store.consume([limit], 5, strategy, base + MINUTE + 30_000)).admitted, false)
        assert.equal((await store.consume([limit], 4, strategy, base + MINUTE + 30_000)).admitted, true)
        // Next bucket: the 5 of the last one weigh in full, then fade; two buckets later nothing is left.
        assert.equal((await store.consume([limit], 0, strategy, base + 2 * MINUTE)).states[0]?.remaining, 5)
        assert.equal((await store.consume([limit], 0, strategy, base + 2 * MINUTE + 30_000)).states[0]?.remaining, 7)
        assert.equal((await store.consume([limit], 0, strategy, base + 3 * MINUTE)).states[0]?.remaining, 10)
      })

      test('a refusal waits for the next bucket when the current one alone is full', async (t) => {
        const store = await open(t)
        const limit = limitOf('moving-next-bucket', 4)
        await consumeMany(store, [limit], 4, 1, strategy, base + 30_000)
        const refused = await store.consume([limit], 1, strategy, base + 40_000)
        // Next bucket: 4 × (1 − f) + 1 ≤ 4 from f = 1/4, i.e. 15 s into it.
        assert.equal(refused.retryAfterMs, MINUTE - 40_000 + 15_000)
        assert.equal((await store.consume([limit], 1, strategy, base + MINUTE + 15_000)).admitted, true)
      })
    })
  })
}
