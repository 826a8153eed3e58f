/**
 * Issue 3, beside the c=64 comparison: the memory limiter's own work per request, timed in this
 * process without sockets (rule matching, the counter check-and-add, the x-ratelimit-* header
 * values). The throughput comparison also counts what surrounds it (three more headers to write
 * and for the client to parse); this figure says how much of that cost is the limiter's own work.
 */
import { LimitRules, type LimitFacts } from '../src/limits/limit-rules.js'
import { rateHeaders } from '../src/limits/rate-headers.js'
import { MemoryCounterStore } from '../src/storage/memory/counter-store.js'
import { hugeLimit } from './limits.js'

export function limiterLogicMicros(iterations = 500_000): number {
  const rules = new LimitRules('rq', [{ limit: hugeLimit, per: 'client' }])
  const store = new MemoryCounterStore()
  // Only the fields rule matching and the client scope read.
  const ctx = {
    pathname: '/v1/chat/completions',
    identity: { kind: 'anonymous', name: 'anonymous' },
    tokenHash: 'bench-client-token-digest-0123456789',
    clientIp: '127.0.0.1',
    model: 'gpt-4o-mini',
    route: { path: '/' },
  } satisfies LimitFacts
  const check = () => rateHeaders('requests', store.consumeNow(rules.windowsFor(ctx).windows, 1, 'fixed-window').states)
  for (let index = 0; index < iterations / 2; index++) check()
  const started = performance.now()
  for (let index = 0; index < iterations; index++) check()
  const micros = ((performance.now() - started) * 1000) / iterations
  void store.close()
  return micros
}
