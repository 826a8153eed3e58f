import type { Counter } from 'prom-client'

/**
 * Counts by label set in plain numbers on the hot path, copied into a prom-client counter when it is
 * scraped (its `collect`). Written by hand because prom-client hashes the labels object on every
 * inc(), which a profile showed among the larger costs of a request.
 */
export class Tally<L extends string> {
  private readonly entries = new Map<string, { labels: Record<L, string>; value: number }>()

  /** `key` must name the label values uniquely; `labels` is called only the first time a key is seen. */
  add(key: string, labels: () => Record<L, string>, amount = 1): void {
    const entry = this.entries.get(key)
    if (entry !== undefined) entry.value += amount
    else this.entries.set(key, { labels: labels(), value: amount })
  }

  publish(counter: Counter<L>): void {
    counter.reset()
    for (const { labels, value } of this.entries.values()) counter.inc(labels, value)
  }
}
