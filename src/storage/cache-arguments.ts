/**
 * Argument and option checks shared by the three CacheStore backends, so that they refuse the same
 * inputs with the same words. A bad argument is a programming error: the async methods reject with it.
 */

export function checkKey(store: string, key: string): void {
  if (typeof key !== 'string' || key === '') throw new TypeError(`${store}: key must be a non-empty string`)
}

export function checkNow(store: string, now: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`${store}: now must be a finite epoch time in ms (got ${String(now)})`)
}

export function checkSet(store: string, key: string, value: Buffer, ttlMs: number, now: number): void {
  checkKey(store, key)
  if (!Buffer.isBuffer(value)) throw new TypeError(`${store}: value must be a Buffer`)
  // Whole milliseconds: Redis' PX takes an integer, and the other backends must agree with it.
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`${store}: ttlMs must be a positive integer (got ${String(ttlMs)})`)
  checkNow(store, now)
}

/** A positive safe integer option, or a RangeError naming it. */
export function positiveInteger(store: string, name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value
  throw new RangeError(`${store}: option ${name} must be a positive integer (got ${String(value)})`)
}

/** An entry the cap admits must fit in the whole store, or set() would say true and keep nothing. */
export function checkEntryFits(store: string, maxEntryBytes: number, maxBytes: number): void {
  if (maxEntryBytes > maxBytes) {
    throw new RangeError(`${store}: option maxEntryBytes (${maxEntryBytes}) must not exceed maxBytes (${maxBytes})`)
  }
}
