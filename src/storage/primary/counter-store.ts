import type { Link } from '../../cluster/link.js'
import type { ConsumeResult, CounterStore, WindowLimit, WindowStrategy } from '../types.js'

/**
 * A worker's counters with `--workers` and the embedded (memory) backend: each call is answered by
 * the primary's one MemoryCounterStore, so a limit is exact across workers (one process decides, in
 * order). The time is the primary's (one clock for every worker).
 */
export class PrimaryCounterStore implements CounterStore {
  constructor(
    private readonly link: Link,
    private readonly timeoutMs: number,
  ) {}

  consume(limits: readonly WindowLimit[], amount: number, strategy: WindowStrategy): Promise<ConsumeResult> {
    return this.link.call<ConsumeResult>('counters.consume', { limits, amount, strategy }, this.timeoutMs)
  }

  async adjust(limits: readonly WindowLimit[], delta: number, strategy: WindowStrategy): Promise<void> {
    await this.link.call('counters.adjust', { limits, delta, strategy }, this.timeoutMs)
  }

  /** The counters are the primary's: they outlive this worker. */
  async close(): Promise<void> {}
}
