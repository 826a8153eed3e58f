import type { Link } from '../../cluster/link.js'
import type { CachedValue, CacheStore } from '../types.js'

/**
 * A worker's cache store with `--workers` and an embedded backend (memory or SQLite): the primary
 * holds the one store, so an answer cached by one worker is a hit in every other.
 */
export class PrimaryCacheStore implements CacheStore {
  constructor(
    private readonly link: Link,
    private readonly timeoutMs: number,
  ) {}

  async get(key: string): Promise<CachedValue | undefined> {
    const cached = await this.link.call<{ value: Uint8Array; storedAt: number } | null>('cache.get', key, this.timeoutMs)
    // The channel's structured clone turns a Buffer into a plain Uint8Array: view it as a Buffer again, without a copy.
    return cached === null ? undefined : { value: Buffer.from(cached.value.buffer, cached.value.byteOffset, cached.value.byteLength), storedAt: cached.storedAt }
  }

  set(key: string, value: Buffer, ttlMs: number): Promise<boolean> {
    return this.link.call<boolean>('cache.set', { key, value, ttlMs }, this.timeoutMs)
  }

  async delete(key: string): Promise<void> {
    await this.link.call('cache.delete', key, this.timeoutMs)
  }

  /** Evictions happen in the primary's store; the primary reports them in /metrics. */
  get evictions(): number {
    return 0
  }

  async close(): Promise<void> {}
}
