import type { Link } from '../../cluster/link.js'
import type { ConsumeResult, CounterStore, WindowLimit, WindowStrategy } from '../types.js'

/**
 * A worker's counters with `--workers` and the embedded (memory) backend: each call is answered by
 * the primary's one MemoryCounterStore, so a limit is exact across workers (one process decides, in
 * order). Workers and primary share the machine's clock: a time given to a call is used as it is.
 */
export class PrimaryCounterStore implements CounterStore {
  constructor(
    private readonly link: Link,
    private readonly timeoutMs: number,
  ) {}

  consume(limits: readonly WindowLimit[], amount: number, strategy: WindowStrategy, now?: number): Promise<ConsumeResult> {
    return this.link.call<ConsumeResult>('counters.consume', { limits, amount, strategy, now }, this.timeoutMs)
  }

  /** `now` crosses too: a give-back goes to the window its tokens were taken from (token-quotas.ts). */
  async adjust(limits: readonly WindowLimit[], delta: number, strategy: WindowStrategy, now?: number): Promise<void> {
    await this.link.call('counters.adjust', { limits, delta, strategy, now }, this.timeoutMs)
  }

  /** The counters are the primary's: they outlive this worker. */
  async close(): Promise<void> {}
}
