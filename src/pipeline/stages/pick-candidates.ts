import { RelayError } from '../../errors.js'
import { upstreamVerdict, type UpstreamVerdict } from '../../routing/eligibility.js'
import type { CompiledUpstream } from '../../routing/route-table.js'
import { orderCandidates } from '../../routing/strategies.js'
import type { RelayContext } from '../context.js'

/**
 * The upstreams this request may use, in the order they will be tried: those the client's token
 * opens, whose model allow/deny lists admit the model and whose provider serves the endpoint
 * (routing/eligibility.ts), ordered by the route's strategy with upstreams in cooldown last.
 */
export function pickCandidates(ctx: RelayContext): undefined {
  const eligible: CompiledUpstream[] = []
  for (const upstream of ctx.route.upstreams) if (upstreamVerdict(ctx, upstream) === 'eligible') eligible.push(upstream)
  if (eligible.length === 0) throw noUpstreamError(ctx)
  ctx.candidates = orderCandidates(eligible, ctx.route.strategy, ctx.runtime.health)
}

/** How far a refused upstream got through the checks: the furthest decides which error the client gets. */
const progress: Readonly<Record<Exclude<UpstreamVerdict, 'eligible'>, number>> = {
  'token-not-allowed': 0,
  'model-not-allowed': 1,
  'model-denied': 1,
  'endpoint-not-served': 2,
}

/** Why no upstream could take the request, in the words of the check the closest one failed. Off the hot path: judged again. */
function noUpstreamError(ctx: RelayContext): RelayError {
  const { route, pathname } = ctx
  let furthest = 0
  for (const upstream of route.upstreams) {
    const verdict = upstreamVerdict(ctx, upstream)
    if (verdict !== 'eligible') furthest = Math.max(furthest, progress[verdict])
  }
  if (furthest === 0) {
    return ctx.identity.kind === 'anonymous'
      ? new RelayError('RELAY_ERR_UNAUTHORIZED', 'A valid client token is required: send it as "Authorization: Bearer <token>".')
      : new RelayError('RELAY_ERR_TOKEN_NOT_ALLOWED', `This client token may not use the route ${route.path}.`)
  }
  if (furthest === 1) return new RelayError('RELAY_ERR_MODEL_NOT_SERVED', `No upstream of route ${route.path} serves the model '${ctx.model ?? pathname}'.`, { param: 'model' })
  return new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', `No upstream of route ${route.path} serves ${ctx.method} ${pathname}: its providers answer chat completions only.`)
}
