/**
 * Single flight for the answer cache: while one request for a key is answered upstream, identical
 * requests wait for it and then read what it stored. One board per process by default; with
 * `--workers` the board is the primary's, so the flight is one for the whole gateway.
 */

/** What a request that missed the cache is told: lead (and release when done), wait, or neither. */
export type FlightClaim =
  | { kind: 'lead'; release: () => void }
  | { kind: 'wait'; done: Promise<void> }
  | { kind: 'none' }

export interface FlightBoard {
  /**
   * Wait when another request leads a flight for `key`; else lead it when `mayLead` (call release
   * once, always), or 'none'.
   */
  claim(key: string, mayLead: boolean): FlightClaim | Promise<FlightClaim>
  /** Ends every flight this board leads: the process is going away. */
  close(): void
}

/** The flights of one process. */
export class LocalFlights implements FlightBoard {
  readonly #flights = new Map<string, Promise<void>>()
  readonly #releases = new Set<() => void>()

  claim(key: string, mayLead: boolean): FlightClaim {
    const flight = this.#flights.get(key)
    if (flight !== undefined) return { kind: 'wait', done: flight }
    if (!mayLead) return { kind: 'none' }
    let finish!: () => void
    const done = new Promise<void>((resolve) => (finish = resolve))
    this.#flights.set(key, done)
    const release = (): void => {
      if (!this.#releases.delete(release)) return
      if (this.#flights.get(key) === done) this.#flights.delete(key)
      finish()
    }
    this.#releases.add(release)
    return { kind: 'lead', release }
  }

  close(): void {
    for (const release of [...this.#releases]) release()
  }
}
