import type { FlightBoard, FlightClaim } from '../../cache/flights.js'
import type { Link } from '../../cluster/link.js'

/**
 * A worker's cache single flights with `--workers`: the primary keeps the one board, so identical
 * requests on different workers wait for one upstream call. A waiter asks again (`flights.wait`),
 * answered when the leader releases or its worker dies; a flight that ended in between answers at once.
 */
export class PrimaryFlights implements FlightBoard {
  /** Token of each flight this worker leads: a late release of an old flight never ends a newer one. */
  readonly #leading = new Map<string, number>()
  #nextToken = 1

  constructor(
    private readonly link: Link,
    private readonly timeoutMs: number,
  ) {}

  async claim(key: string, mayLead: boolean): Promise<FlightClaim> {
    const token = this.#nextToken++
    let answer: 'lead' | 'wait' | 'none'
    try {
      answer = await this.link.call<'lead' | 'wait' | 'none'>('flights.claim', { key, mayLead, token }, this.timeoutMs)
    } catch {
      // Without the primary there is no flight to join: go upstream alone.
      return { kind: 'none' }
    }
    if (answer === 'lead') {
      this.#leading.set(key, token)
      return { kind: 'lead', release: () => this.#release(key, token) }
    }
    if (answer === 'none') return { kind: 'none' }
    // No time limit: a flight lasts as long as its answer; a closed link ends the wait too.
    const done = this.link.call('flights.wait', key, 0).then(
      () => {},
      () => {},
    )
    return { kind: 'wait', done }
  }

  #release(key: string, token: number): void {
    if (this.#leading.get(key) !== token) return
    this.#leading.delete(key)
    this.link.send('flights.release', { key, token })
  }

  close(): void {
    for (const [key, token] of [...this.#leading]) this.#release(key, token)
  }
}
