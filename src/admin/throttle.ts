/** Failed logins allowed per address in a window, and from everyone together (a spread-out guess). */
const PER_ADDRESS = 10
const GLOBAL = 100
const WINDOW_MS = 5 * 60_000

interface Failures {
  count: number
  since: number
}

/**
 * Failed logins are throttled (issue 15 point 2): after 10 from one address within 5 minutes, or 100
 * from everyone, logins are refused (429 with Retry-After) until the window that holds them ends.
 */
export class LoginThrottle {
  readonly #byAddress = new Map<string, Failures>()
  #global: Failures = { count: 0, since: 0 }

  /** How long the address must wait before it may try again; 0 when it may now. */
  waitMs(address: string, now = Date.now()): number {
    const mine = this.#current(this.#byAddress.get(address), now)
    const all = this.#current(this.#global, now)
    let wait = 0
    if (mine !== undefined && mine.count >= PER_ADDRESS) wait = mine.since + WINDOW_MS - now
    if (all !== undefined && all.count >= GLOBAL) wait = Math.max(wait, all.since + WINDOW_MS - now)
    return Math.max(0, wait)
  }

  failed(address: string, now = Date.now()): void {
    const mine = this.#current(this.#byAddress.get(address), now) ?? { count: 0, since: now }
    mine.count++
    this.#byAddress.set(address, mine)
    this.#global = this.#current(this.#global, now) ?? { count: 0, since: now }
    this.#global.count++
    // Bounded: addresses whose window ended are forgotten once there are many.
    if (this.#byAddress.size > 10_000) for (const [key, value] of this.#byAddress) if (this.#current(value, now) === undefined) this.#byAddress.delete(key)
  }

  succeeded(address: string): void {
    this.#byAddress.delete(address)
  }

  #current(failures: Failures | undefined, now: number): Failures | undefined {
    return failures !== undefined && now - failures.since < WINDOW_MS ? failures : undefined
  }
}
