import type { LimitsConfig } from '../config/schema.js'
import { MemoryCounterStore } from './memory/counter-store.js'
import { RedisCounterStore } from './redis/counter-store.js'
import type { CounterStore } from './types.js'

/** The only switch on the counter backend: `memory` (or OpenAI-Forward's `memory://`) or a redis:// URL. */
export function createCounterStore(limits: LimitsConfig): CounterStore {
  if (limits.backend === 'memory' || limits.backend === 'memory://') return new MemoryCounterStore()
  return new RedisCounterStore({ url: limits.backend, commandTimeoutMs: limits.backendTimeout })
}
