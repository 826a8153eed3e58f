import type { Runtime } from '../../runtime.js'
import type { UpstreamState } from '../wire.js'

export type { UpstreamState } from '../wire.js'

/** Every upstream of the running config with its passive health (routing/health.ts). */
export function upstreamStates(runtime: Runtime, now = Date.now()): UpstreamState[] {
  return runtime.routes.routes.flatMap((route) =>
    route.upstreams.map((upstream) => {
      const health = runtime.health.get(upstream.id)
      const cooling = health.coolingUntil > now
      return {
        route: route.path,
        name: upstream.name,
        id: upstream.id,
        provider: upstream.provider.name,
        up: !cooling,
        coolingUntil: cooling ? health.coolingUntil : null,
        consecutiveFailures: health.consecutiveFailures,
        inflight: health.inflight,
      }
    }),
  )
}
