/**
 * Counts client aborts and lets tests wait for them. Each `wait` consumes one abort, so
 * "abort, then wait" and "wait, then abort" both resolve, and a second wait needs a second abort.
 */
export class AbortCounter {
  private count = 0
  private consumed = 0
  private readonly waiters: Array<() => void> = []

  get total(): number {
    return this.count
  }

  record(): void {
    this.count++
    this.release()
  }

  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter)
        if (at !== -1) this.waiters.splice(at, 1)
        reject(new Error(`No request was aborted by its client within ${timeoutMs} ms.`))
      }, timeoutMs)
      this.waiters.push(waiter)
      this.release()
    })
  }

  /** Forget past aborts; pending waiters keep waiting for new ones. */
  reset(): void {
    this.count = 0
    this.consumed = 0
  }

  private release(): void {
    while (this.consumed < this.count) {
      const waiter = this.waiters.shift()
      if (waiter === undefined) return
      this.consumed++
      waiter()
    }
  }
}
