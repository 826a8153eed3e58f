import type { Logger } from '../log.js'

export interface BackendWatchMessages {
  /** Logged when the backend starts failing, then at most once per interval while it lasts. */
  unavailable: string
  /** Logged once when it works again. */
  available: string
}

/**
 * Reports trouble with a storage backend (rate-limit counters, the cache) without flooding the log:
 * one line when it starts failing (then at most one per interval, with the count in between) and one
 * when it recovers. Every failure is counted in the given metric.
 */
export class BackendWatch {
  private failing = false
  private lastLogAt = 0
  private suppressed = 0
  failures = 0

  constructor(
    private readonly logger: Logger,
    private readonly messages: BackendWatchMessages,
    /** Counts every failure (a *_backend_errors_total metric), logged or not. */
    private readonly counter?: { inc(): void },
    private readonly intervalMs = 30_000,
  ) {}

  failed(error: unknown, now = Date.now()): void {
    this.failures++
    this.counter?.inc()
    if (this.failing && now - this.lastLogAt < this.intervalMs) {
      this.suppressed++
      return
    }
    this.logger.warn({ problem: (error as Error).message, failuresSinceLastLine: this.suppressed }, this.messages.unavailable)
    this.failing = true
    this.lastLogAt = now
    this.suppressed = 0
  }

  succeeded(): void {
    if (!this.failing) return
    this.failing = false
    this.logger.info({ failuresSinceLastLine: this.suppressed }, this.messages.available)
    this.suppressed = 0
  }
}
