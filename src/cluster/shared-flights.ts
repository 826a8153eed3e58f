/**
 * The primary's board of cache single flights for every worker: one leader per key, the others wait.
 * A flight is owned by (worker, token), so a worker's late release of an old flight cannot end a new
 * one, and a worker that dies ends the flights it led (their waiters then go upstream themselves).
 */
export class SharedFlights {
  readonly #flights = new Map<string, { worker: number; token: number; waiters: (() => void)[] }>()

  claim(worker: number, key: string, mayLead: boolean, token: number): 'lead' | 'wait' | 'none' {
    if (this.#flights.has(key)) return 'wait'
    if (!mayLead) return 'none'
    this.#flights.set(key, { worker, token, waiters: [] })
    return 'lead'
  }

  /** Resolves when the flight of `key` ends; at once when there is none (it ended before the waiter asked). */
  wait(key: string): Promise<void> {
    const flight = this.#flights.get(key)
    if (flight === undefined) return Promise.resolve()
    return new Promise((resolve) => flight.waiters.push(resolve))
  }

  release(worker: number, key: string, token: number): void {
    const flight = this.#flights.get(key)
    if (flight === undefined || flight.worker !== worker || flight.token !== token) return
    this.#end(key)
  }

  /** Ends every flight `worker` leads: it died or left. */
  releaseAll(worker: number): void {
    for (const [key, flight] of [...this.#flights]) if (flight.worker === worker) this.#end(key)
  }

  #end(key: string): void {
    const flight = this.#flights.get(key)
    this.#flights.delete(key)
    for (const wake of flight?.waiters ?? []) wake()
  }
}
