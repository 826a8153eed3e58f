import type { RelayContext } from '../pipeline/context.js'
import type { GatewayMetrics } from './metrics.js'

/** Distinct model names kept as label values; past it a model is counted as "other" (the client picks the name). */
const MAX_MODELS = 100

/**
 * Counts a finished request into the metrics: by route, upstream, model and status; its duration,
 * time to first byte and the gateway's own share; each attempt; tokens. Counts go to tallies (plain
 * numbers, published at scrape time) and histogram children are kept per route: prom-client's
 * per-call label hashing showed in the profile of every request.
 */
export class RequestObserver {
  private readonly histograms = new Map<string, { observe(value: number): void }>()
  private readonly models = new Set<string>()

  constructor(private readonly metrics: GatewayMetrics) {}

  finished(ctx: RelayContext, now = performance.now()): void {
    const { metrics } = this
    const { outcome } = ctx
    const route = ctx.route?.path ?? 'none'
    const model = this.modelLabel(ctx.model)
    const status = String(ctx.clientGone && outcome.status === undefined ? 499 : (outcome.status ?? outcome.error?.status ?? 500))
    const upstream = outcome.upstream ?? 'none'
    metrics.requestTally.add(`${route}\0${upstream}\0${model}\0${status}`, () => ({ route, upstream, model, status }))
    this.histogram('du', route, () => metrics.requestDuration.labels(route)).observe((now - ctx.startedAt) / 1000)
    if (ctx.firstByteAt !== undefined) this.histogram('fb', route, () => metrics.timeToFirstByte.labels(route)).observe((ctx.firstByteAt - ctx.startedAt) / 1000)

    let upstreamMs = 0
    const relayed = outcome.upstream !== undefined
    outcome.failures.forEach((failure, index) => {
      const reason = String(failure.reason)
      metrics.failureTally.add(`${failure.upstream}\0${reason}`, () => ({ upstream: failure.upstream, reason }))
      // A failure after the relayed answer was chosen is that answer breaking off: not another attempt, nor time before its headers.
      if (relayed && index >= outcome.failuresBeforeRelay) return
      upstreamMs += failure.durationMs
      metrics.attemptTally.add(failure.upstream, () => ({ upstream: failure.upstream }))
    })
    if (outcome.upstream !== undefined) {
      metrics.attemptTally.add(upstream, () => ({ upstream }))
      upstreamMs += outcome.upstreamHeadersMs ?? 0
    }
    // Until the answer's headers (or the end, when none came): what was not spent waiting for an upstream.
    const until = ctx.headersAt ?? now
    metrics.overhead.observe(Math.max(0, until - ctx.startedAt - upstreamMs) / 1000)
  }

  /** Tokens of an answer whose usage was read (records and quotas read it; other requests are not parsed). */
  tokens(route: string, model: string | undefined, prompt: number, completion: number): void {
    const label = this.modelLabel(model)
    const key = `${route}\0${label}`
    this.metrics.tokenTally.add(`${key}\0p`, () => ({ route, model: label, kind: 'prompt' }), prompt)
    this.metrics.tokenTally.add(`${key}\0c`, () => ({ route, model: label, kind: 'completion' }), completion)
  }

  private modelLabel(model: string | undefined): string {
    if (model === undefined) return 'none'
    if (this.models.has(model)) return model
    if (this.models.size >= MAX_MODELS) return 'other'
    this.models.add(model)
    return model
  }

  private histogram(kind: string, route: string, create: () => { observe(value: number): void }) {
    const key = `${kind}\0${route}`
    let child = this.histograms.get(key)
    if (child === undefined) {
      child = create()
      this.histograms.set(key, child)
    }
    return child
  }
}
