import { scrub } from './notice.js'

/** The one thing the dispatcher needs from a logger; pino's Logger fits. */
export interface NoticeLogger {
  warn(obj: object, msg: string): void
}

/**
 * Logs a notifier's sending failures at most once per interval (with the count in between), like
 * storage/backend-watch.ts does for backends: a chat service that is down for an hour should cost a
 * line per interval, not one per notice. One interval per notifier, so each broken target is named.
 */
export class FailureLog {
  private readonly lastLine = new Map<string, { at: number; suppressed: number }>()

  constructor(
    private readonly logger: NoticeLogger,
    private readonly intervalMs: number,
  ) {}

  report(notifier: string, problem: string, now: number): void {
    const last = this.lastLine.get(notifier)
    if (last && now - last.at < this.intervalMs) {
      last.suppressed++
      return
    }
    this.lastLine.set(notifier, { at: now, suppressed: 0 })
    try {
      this.logger.warn(
        { notifier, problem: scrub(problem), failuresSinceLastLine: last?.suppressed ?? 0 },
        'An error notice could not be sent; requests are not affected',
      )
    } catch {
      // A failing logger must not turn a lost notice into an unhandled rejection.
    }
  }
}
