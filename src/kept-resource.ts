/**
 * A resource (a store, a writer, a dispatcher) that outlives config reloads while the settings that
 * made it stay the same. A reload first prepares every resource it needs (opening new ones where a
 * key changed, closing nothing), builds the new runtime, and only then commits: the replaced
 * resources are retired. A build that fails discards what was opened for it, so the running config
 * keeps open stores (issue 14; the review of 2026-12 found a reload closing them first).
 */
export class KeptResource<T> {
  #key: string | undefined
  #value: T | undefined

  constructor(private readonly retire: (value: T) => void) {}

  get value(): T | undefined {
    return this.#value
  }

  /**
   * The resource for `key` (undefined: none wanted): the kept one when the key is the same, else a
   * new one from `open`, not in use until commit().
   */
  prepare(key: string | undefined, open: () => T | undefined): PreparedResource<T> {
    if (key === this.#key) return { value: this.#value, commit() {}, discard() {} }
    const value = key === undefined ? undefined : open()
    return {
      value,
      commit: () => {
        const previous = this.#value
        this.#key = key
        this.#value = value
        if (previous !== undefined) this.retire(previous)
      },
      discard: () => {
        if (value !== undefined) this.retire(value)
      },
    }
  }
}

export interface PreparedResource<T> {
  readonly value: T | undefined
  /** The new runtime is in place: keep this value, retire the one it replaces. */
  commit(): void
  /** The new runtime was not built: retire this value if it was opened for it. */
  discard(): void
}
