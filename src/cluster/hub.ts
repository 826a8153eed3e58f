import type { Notice } from '../notify/index.js'
import type { RequestRecord } from '../records/record.js'
import type { RuntimeHolder } from '../runtime.js'
import { answersImmediately, type WindowLimit, type WindowStrategy } from '../storage/types.js'
import type { Link } from './link.js'
import type { SharedFlights } from './shared-flights.js'

/**
 * The primary's answers to one worker's calls: its counters, cache store, single flights, record
 * store and notice senders are the gateway's one copy (the primary's own RuntimeHolder opened them,
 * so a reload replaces them as it would in one process). What the primary lacks (a config whose
 * reload has not reached it yet) fails the call, and the worker's own policy for a failing backend
 * applies.
 */
export function serveWorker(link: Link, worker: number, holder: RuntimeHolder, flights: SharedFlights): void {
  link
    .handle<{ limits: WindowLimit[]; amount: number; strategy: WindowStrategy; now?: number }, unknown>('counters.consume', ({ limits, amount, strategy, now }) => {
      const store = countersOf(holder)
      return answersImmediately(store) ? store.consumeNow(limits, amount, strategy, now) : store.consume(limits, amount, strategy, now)
    })
    .handle<{ limits: WindowLimit[]; delta: number; strategy: WindowStrategy; now?: number }, Promise<void>>('counters.adjust', ({ limits, delta, strategy, now }) =>
      countersOf(holder).adjust(limits, delta, strategy, now),
    )
    .handle<string, Promise<{ value: Buffer; storedAt: number } | null>>('cache.get', async (key) => (await cacheOf(holder).get(key)) ?? null)
    .handle<{ key: string; value: Uint8Array; ttlMs: number }, Promise<boolean>>('cache.set', ({ key, value, ttlMs }) =>
      cacheOf(holder).set(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength), ttlMs),
    )
    .handle<string, Promise<void>>('cache.delete', (key) => cacheOf(holder).delete(key))
    .handle<{ key: string; mayLead: boolean; token: number }, string>('flights.claim', ({ key, mayLead, token }) => flights.claim(worker, key, mayLead, token))
    .handle<string, Promise<void>>('flights.wait', (key) => flights.wait(key))
    .handle<{ key: string; token: number }, void>('flights.release', ({ key, token }) => flights.release(worker, key, token))
    .handle<RequestRecord[], Promise<void>>('records.write', async (records) => {
      const store = holder.current.records?.store
      if (store === undefined) throw new Error('records are off in the primary')
      await store.write(records)
    })
    .handle<Notice, void>('notices.notify', (notice) => holder.current.notices?.notify(notice))
}

function countersOf(holder: RuntimeHolder) {
  const store = holder.current.limits?.store
  if (store === undefined) throw new Error('the primary has no rate-limit counters for this config')
  return store
}

function cacheOf(holder: RuntimeHolder) {
  const store = holder.current.cache?.store
  if (store === undefined) throw new Error('the primary has no cache store for this config')
  return store
}
