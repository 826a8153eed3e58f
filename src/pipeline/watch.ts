import type { RequestRecord } from '../records/record.js'

/** One wait for one request's record: the record once the request finished, or undefined once cancelled. */
export interface Watching {
  readonly record: Promise<RequestRecord | undefined>
  /** Stops waiting (the watcher gave up or went away); the promise resolves undefined. */
  cancel(): void
}

/**
 * Lets someone wait for a request, by its id, until it finishes, and get its record, the one
 * records/build.ts makes, whether records are kept or not. The admin playground sends a request
 * through the relay and shows its routing decision this way. It lives on the RuntimeHolder, so a
 * reload in between loses no watch. The relay asks it only while someone watches: on every other
 * request it costs a size check.
 */
export class RequestWatch {
  readonly #waiting = new Map<string, (record: RequestRecord | undefined) => void>()

  /** How many requests are watched now. */
  get size(): number {
    return this.#waiting.size
  }

  /** Watch the request with this id; register before sending it, so its finish cannot be missed. */
  watch(id: string): Watching {
    if (this.#waiting.has(id)) throw new Error(`request ${id} is watched already`)
    let resolve!: (record: RequestRecord | undefined) => void
    const record = new Promise<RequestRecord | undefined>((done) => (resolve = done))
    this.#waiting.set(id, resolve)
    return {
      record,
      cancel: () => {
        if (this.#waiting.get(id) !== resolve) return
        this.#waiting.delete(id)
        resolve(undefined)
      },
    }
  }

  isWatched(id: string): boolean {
    return this.#waiting.size > 0 && this.#waiting.has(id)
  }

  /** Called by the finish step (only while size > 0): hands the request's record to its watcher, built only if someone waits. */
  finished(id: string, record: () => RequestRecord): void {
    const resolve = this.#waiting.get(id)
    if (resolve === undefined) return
    this.#waiting.delete(id)
    resolve(record())
  }
}
