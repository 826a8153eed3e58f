/**
 * Real keys of one upstream (or one forward-key level), handed out round-robin. A key the
 * upstream rejected (401/403) or rate-limited (429) rests until its cooldown ends, so the next
 * request takes another one; if every key rests, the one that rests shortest is used.
 */
export class KeyRing {
  private readonly keys: readonly string[]
  private readonly restingUntil: number[]
  private next = 0

  constructor(keys: readonly string[]) {
    this.keys = keys
    this.restingUntil = keys.map(() => 0)
  }

  get size(): number {
    return this.keys.length
  }

  /** Returns the index of the key to use; `keyAt` gives the key. Indexes keep the key out of outcome objects. */
  take(now = Date.now()): number {
    const count = this.keys.length
    let best = 0
    for (let step = 0; step < count; step++) {
      const index = (this.next + step) % count
      if (this.restingUntil[index]! <= now) {
        this.next = (index + 1) % count
        return index
      }
      if (this.restingUntil[index]! < this.restingUntil[best]!) best = index
    }
    return best
  }

  /** Whether some key is not resting now. */
  hasFreeKey(now = Date.now()): boolean {
    return this.restingUntil.some((until) => until <= now)
  }

  keyAt(index: number): string {
    return this.keys[index]!
  }

  rest(index: number, untilMs: number): void {
    if (index >= 0 && index < this.restingUntil.length) this.restingUntil[index] = untilMs
  }
}
