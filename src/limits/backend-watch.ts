import type { Logger } from '../log.js'

/**
 * Reports trouble with the counter backend without flooding the log: one line when it starts
 * failing (then at most one per interval, with the count in between) and one when it recovers.
 */
export class BackendWatch {
  private failing = false
  private lastLogAt = 0
  private suppressed = 0
  failures = 0

  constructor(
    private readonly logger: Logger,
    private readonly policy: 'fail-open' | 'fail-closed',
    /** Counts every failure (the llm_relay_limit_backend_errors_total metric), logged or not. */
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
    const consequence = this.policy === 'fail-open' ? 'requests are admitted unlimited' : 'requests are refused with 503'
    this.logger.warn({ problem: (error as Error).message, failuresSinceLastLine: this.suppressed }, `rate-limit backend unavailable (${this.policy}): ${consequence}`)
    this.failing = true
    this.lastLogAt = now
    this.suppressed = 0
  }

  succeeded(): void {
    if (!this.failing) return
    this.failing = false
    this.logger.info({ failuresSinceLastLine: this.suppressed }, 'rate-limit backend available again')
    this.suppressed = 0
  }
}
