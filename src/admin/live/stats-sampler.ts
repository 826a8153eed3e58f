import type { Logger } from '../../log.js'
import type { RuntimeHolder } from '../../runtime.js'
import { readSnapshot, type MetricSnapshot } from './snapshot.js'
import { statsOf, type HistorySample, type StatsEvent } from './stats.js'
import { upstreamStates } from './upstreams.js'

export interface StatsSamplerOptions {
  /** How often a sample is taken; default 1000 ms. */
  intervalMs?: number
  /** The window of the recent quantiles and hit rate; default 10 000 ms (whole intervals). */
  windowMs?: number
  /** Samples kept for the `history` event; default 300 (5 minutes at 1 s). */
  historySize?: number
}

/**
 * Samples the gateway's metrics once per interval into the Overview's numbers (one sampler per admin
 * app, whatever the number of open pages) and keeps the last ones, so that a page opened now draws
 * its charts at once. Reads only the in-process metrics: no database query.
 */
export class StatsSampler {
  readonly intervalMs: number
  readonly #windowIntervals: number
  readonly #historySize: number
  /** The readings of the window, oldest first; the last is the newest. */
  readonly #snapshots: MetricSnapshot[] = []
  readonly #history: StatsEvent[] = []
  readonly #listeners = new Set<(stats: StatsEvent) => void>()
  #timer: NodeJS.Timeout | undefined
  #sampling = false

  constructor(
    private readonly holder: RuntimeHolder,
    private readonly logger: Logger,
    options: StatsSamplerOptions = {},
  ) {
    this.intervalMs = positive('intervalMs', options.intervalMs ?? 1000)
    this.#windowIntervals = Math.max(1, Math.round(positive('windowMs', options.windowMs ?? 10_000) / this.intervalMs))
    this.#historySize = positive('historySize', options.historySize ?? 300)
  }

  start(): void {
    if (this.#timer !== undefined) return
    // The first reading is the baseline the first sample's rates are measured from.
    void this.#sample(false)
    this.#timer = setInterval(() => void this.#sample(true), this.intervalMs).unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#listeners.clear()
  }

  /** The kept samples, oldest first, without totals and upstreams (the next `stats` event has them). */
  history(): HistorySample[] {
    return this.#history.map(({ totals: _totals, upstreams: _upstreams, ...sample }) => sample)
  }

  get latest(): StatsEvent | undefined {
    return this.#history.at(-1)
  }

  /** Calls `listener` with each new sample; returns the function that stops it. */
  onSample(listener: (stats: StatsEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async #sample(publish: boolean): Promise<void> {
    // A reading that takes longer than the interval (a stalled event loop) is not doubled.
    if (this.#sampling) return
    this.#sampling = true
    try {
      const snapshot = await readSnapshot(this.holder.metrics)
      this.#snapshots.push(snapshot)
      if (this.#snapshots.length > this.#windowIntervals + 1) this.#snapshots.shift()
      const previous = this.#snapshots.at(-2)
      const oldest = this.#snapshots[0]
      if (!publish || previous === undefined || oldest === undefined) return
      const stats = statsOf(snapshot, previous, oldest, upstreamStates(this.holder.current, snapshot.time))
      this.#history.push(stats)
      if (this.#history.length > this.#historySize) this.#history.shift()
      for (const listener of this.#listeners) listener(stats)
    } catch (error) {
      this.logger.warn({ err: error }, 'the admin overview could not read the metrics')
    } finally {
      this.#sampling = false
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`StatsSampler: options.${name} must be a positive integer (got ${String(value)})`)
  return value
}
