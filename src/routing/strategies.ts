import type { RouteConfig } from '../config/schema.js'
import type { HealthBook } from './health.js'
import type { CompiledUpstream } from './route-table.js'

type Strategy = RouteConfig['strategy']

/**
 * Orders the eligible upstreams for one request: by the route's strategy, then every upstream in
 * cooldown moves behind the healthy ones (still tried last: that is how it gets probed back).
 */
export function orderCandidates(upstreams: CompiledUpstream[], strategy: Strategy, health: HealthBook, now = Date.now()): CompiledUpstream[] {
  if (upstreams.length > 1) arrange(upstreams, strategy, health)
  let cooling: CompiledUpstream[] | undefined
  for (const upstream of upstreams) {
    if (health.isCooling(upstream.id, now)) (cooling ??= []).push(upstream)
  }
  if (cooling === undefined || cooling.length === upstreams.length) return upstreams
  const coolingSet = new Set(cooling)
  cooling.sort((a, b) => health.get(a.id).coolingUntil - health.get(b.id).coolingUntil)
  return [...upstreams.filter((upstream) => !coolingSet.has(upstream)), ...cooling]
}

function arrange(upstreams: CompiledUpstream[], strategy: Strategy, health: HealthBook): void {
  switch (strategy) {
    case 'ordered':
      return
    case 'random':
      shuffle(upstreams)
      return
    case 'weighted':
      weightedShuffle(upstreams)
      return
    case 'least-inflight':
      // Array.prototype.sort is stable, so ties keep config order.
      upstreams.sort((a, b) => health.get(a.id).inflight - health.get(b.id).inflight)
      return
  }
}

function shuffle<T>(items: T[]): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1))
    ;[items[index], items[other]] = [items[other]!, items[index]!]
  }
}

/** Weighted random order without replacement (Efraimidis-Spirakis keys: u^(1/w), largest first). */
function weightedShuffle(upstreams: CompiledUpstream[]): void {
  const keyed = upstreams.map((upstream) => ({ upstream, key: Math.random() ** (1 / upstream.weight) }))
  keyed.sort((a, b) => b.key - a.key)
  keyed.forEach((entry, index) => (upstreams[index] = entry.upstream))
}
