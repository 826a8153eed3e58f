import { FailureLog, type NoticeLogger } from './failure-log.js'
import { formatNotice, isoTime, scrubNotice, type Notice, type NoticeKind } from './notice.js'

/** One place error notices go to (Feishu, Matrix, a webhook). */
export interface Notifier {
  /** Names the notifier in logs; never a URL or a token. */
  readonly name: string
  /** Delivers one message; rejects when the receiver did not take it. `signal` ends a slow send. */
  send(text: string, notice: Notice, signal?: AbortSignal): Promise<void>
}

export interface NoticeDispatcherOptions {
  logger: NoticeLogger
  /** The same notice (kind, route, upstream, status, model) within this window is folded into the next message. Default 5 min; 0 turns it off. */
  dedupeWindowMs?: number
  /** Messages sent in any 60 s, over all notices; beyond it notices are dropped and counted. Default 10. */
  maxPerMinute?: number
  /** A send that takes longer is aborted and counted as failed. Default 5 s. */
  timeoutMs?: number
  /** close() waits this long for sends in flight, then aborts them. Default: timeoutMs. */
  closeTimeoutMs?: number
  /** Sending failures are logged at most once per this interval per notifier. Default 30 s. */
  failureLogIntervalMs?: number
  /** Which kinds are sent at all; both by default. */
  on?: { requestFailed: boolean; upstreamCooldown: boolean }
  /** The clock for windows; tests move it by hand. */
  now?: () => number
}

interface RecentNotice {
  sentAt: number
  /** Folded into the next message of the same key: how many, and the time of the first. */
  similar: number
  similarSince: number
}

const rateWindowMs = 60_000
/** Keys include the client's model name, so the table is bounded; the oldest key goes first. */
const maxRecentKeys = 1000

const kindOption: Record<NoticeKind, 'requestFailed' | 'upstreamCooldown'> = {
  'request-failed': 'requestFailed',
  'upstream-cooldown': 'upstreamCooldown',
}

/**
 * Turns notices into messages for every notifier without ever slowing or failing a request:
 * notify() only decides and starts the sends, it never awaits or throws. A dead upstream produces a
 * notice per request, so the same notice is sent once per dedupe window (the next one says how many
 * were folded), and all messages together are capped per minute so a chat room is never flooded.
 */
export class NoticeDispatcher {
  private readonly notifiers: readonly Notifier[]
  private readonly dedupeWindowMs: number
  private readonly maxPerMinute: number
  private readonly timeoutMs: number
  private readonly closeTimeoutMs: number
  private readonly on: { requestFailed: boolean; upstreamCooldown: boolean }
  private readonly now: () => number
  private readonly failures: FailureLog
  private readonly recent = new Map<string, RecentNotice>()
  /** When each message of the last 60 s was started, oldest first. */
  private readonly messageTimes: number[] = []
  private droppedSinceLastMessage = 0
  private readonly inFlight = new Set<Promise<void>>()
  private readonly controllers = new Set<AbortController>()
  private closed = false
  private readonly counts = { sent: 0, deduped: 0, dropped: 0, failed: 0 }

  constructor(notifiers: readonly Notifier[], options: NoticeDispatcherOptions) {
    this.notifiers = [...notifiers]
    this.dedupeWindowMs = checked('dedupeWindowMs', options.dedupeWindowMs ?? 300_000, 0)
    this.maxPerMinute = checked('maxPerMinute', options.maxPerMinute ?? 10, 1)
    this.timeoutMs = checked('timeoutMs', options.timeoutMs ?? 5000, 1)
    this.closeTimeoutMs = checked('closeTimeoutMs', options.closeTimeoutMs ?? this.timeoutMs, 0)
    this.on = options.on ?? { requestFailed: true, upstreamCooldown: true }
    this.now = options.now ?? Date.now
    this.failures = new FailureLog(options.logger, checked('failureLogIntervalMs', options.failureLogIntervalMs ?? 30_000, 0))
  }

  /** Deliveries that succeeded (one per notifier per message). */
  get sent(): number {
    return this.counts.sent
  }
  /** Notices folded into a later message of the same kind. */
  get deduped(): number {
    return this.counts.deduped
  }
  /** Notices not sent because of the per-minute cap (or because the dispatcher was closed). */
  get dropped(): number {
    return this.counts.dropped
  }
  /** Deliveries that failed or timed out (one per notifier per message). */
  get failed(): number {
    return this.counts.failed
  }

  /** Fire and forget: returns at once and never throws, whatever the notifiers do. */
  notify(notice: Notice): void {
    try {
      if (!this.on[kindOption[notice.kind]]) return
      if (this.closed) {
        this.counts.dropped++
        return
      }
      const now = this.now()
      const key = [notice.kind, notice.route, notice.upstream, notice.status, notice.model].map((part) => part ?? '').join('\u0000')
      const recent = this.recent.get(key)
      if (recent && now - recent.sentAt < this.dedupeWindowMs) {
        if (recent.similar === 0) recent.similarSince = notice.time
        recent.similar++
        this.counts.deduped++
        return
      }
      if (!this.takeMessageSlot(now)) {
        this.counts.dropped++
        this.droppedSinceLastMessage++
        return
      }
      const text = this.compose(notice, recent)
      this.remember(key, now)
      const clean = scrubNotice(notice)
      for (const notifier of this.notifiers) this.deliver(notifier, text, clean)
    } catch (error) {
      // Date.now, not this.now: the injected clock may be what threw.
      this.failures.report('dispatcher', messageOf(error), Date.now())
    }
  }

  /** Resolves once no send is in flight (those started meanwhile included): nothing more will arrive at a receiver until the next notice. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  /** Stops taking notices and waits (bounded by closeTimeoutMs) for the sends in flight. */
  async close(): Promise<void> {
    this.closed = true
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.closeTimeoutMs)
      })
      await Promise.race([Promise.all(this.inFlight), bound])
      clearTimeout(timer)
    }
    for (const controller of this.controllers) controller.abort(new Error('the notifier was closed'))
    // Aborted sends settle within a tick (untilAborted); waiting for them leaves the counters final.
    await Promise.all(this.inFlight)
  }

  private compose(notice: Notice, recent: RecentNotice | undefined): string {
    let text = formatNotice(notice)
    if (recent && recent.similar > 0) text += `\n(+${recent.similar} similar since ${isoTime(recent.similarSince)})`
    if (this.droppedSinceLastMessage > 0) {
      text += `\n(+${this.droppedSinceLastMessage} other notices dropped: at most ${this.maxPerMinute} messages per minute)`
      this.droppedSinceLastMessage = 0
    }
    return text
  }

  private takeMessageSlot(now: number): boolean {
    while (this.messageTimes.length > 0 && now - this.messageTimes[0]! >= rateWindowMs) this.messageTimes.shift()
    if (this.messageTimes.length >= this.maxPerMinute) return false
    this.messageTimes.push(now)
    return true
  }

  private remember(key: string, now: number): void {
    // Delete and set again so Map order is "least recently sent first" for the bound below.
    this.recent.delete(key)
    this.recent.set(key, { sentAt: now, similar: 0, similarSince: 0 })
    if (this.recent.size > maxRecentKeys) {
      const oldest = this.recent.keys().next()
      if (!oldest.done) this.recent.delete(oldest.value)
    }
  }

  private deliver(notifier: Notifier, text: string, notice: Notice): void {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs)
    this.controllers.add(controller)
    // Called inside an async function so a notifier that throws instead of rejecting is handled the same way.
    const sending = (async () => notifier.send(text, notice, controller.signal))()
    const attempt = untilAborted(sending, controller.signal)
      .then(
        () => {
          this.counts.sent++
        },
        (error: unknown) => {
          this.counts.failed++
          // After an abort, undici's own error says less than the reason we gave.
          const problem = controller.signal.aborted ? messageOf(controller.signal.reason) : messageOf(error)
          this.failures.report(notifier.name, problem, this.now())
        },
      )
      .finally(() => {
        clearTimeout(timer)
        this.controllers.delete(controller)
        this.inFlight.delete(attempt)
      })
    this.inFlight.add(attempt)
  }
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts: a notifier that ignores its signal
 * still cannot keep a send (and close()) waiting past the timeout.
 */
function untilAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function checked(option: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`NoticeDispatcher: ${option} must be a number of at least ${min} (got ${value})`)
  return value
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
