import { RelayError } from '../../errors.js'
import type { CompiledUpstream } from '../../routing/route-table.js'
import { orderCandidates } from '../../routing/strategies.js'
import type { RelayContext } from '../context.js'

/**
 * The upstreams this request may use, in the order they will be tried: those the client's token
 * opens, then those whose model allow/deny lists admit the model and whose provider serves the
 * endpoint, then ordered by the route's strategy with upstreams in cooldown last.
 */
export function pickCandidates(ctx: RelayContext): undefined {
  const { route } = ctx
  const permitted: CompiledUpstream[] = []
  for (const upstream of route.upstreams) if (mayUse(ctx, upstream)) permitted.push(upstream)
  if (permitted.length === 0) {
    throw ctx.identity.kind === 'anonymous'
      ? new RelayError('RELAY_ERR_UNAUTHORIZED', 'A valid client token is required: send it as "Authorization: Bearer <token>".')
      : new RelayError('RELAY_ERR_TOKEN_NOT_ALLOWED', `This client token may not use the route ${route.path}.`)
  }
  const { pathname } = ctx
  const serving = permitted.filter((upstream) => servesModel(upstream, ctx.model, pathname))
  if (serving.length === 0) {
    const what = ctx.model ?? pathname
    throw new RelayError('RELAY_ERR_MODEL_NOT_SERVED', `No upstream of route ${route.path} serves the model '${what}'.`, { param: 'model' })
  }
  const able = serving.filter((upstream) => upstream.provider.serves(ctx.endpoint))
  if (able.length === 0) {
    throw new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', `No upstream of route ${route.path} serves ${ctx.method} ${pathname}: its providers answer chat completions only.`)
  }
  ctx.candidates = orderCandidates(able, route.strategy, ctx.runtime.health)
}

function mayUse(ctx: RelayContext, upstream: CompiledUpstream): boolean {
  if (upstream.noauth || upstream.tokenHashes.size === 0) return true
  // Forward keys are issued by the gateway itself and open every route.
  if (ctx.identity.kind === 'forward-key') return true
  return ctx.tokenHash !== undefined && upstream.tokenHashes.has(ctx.tokenHash)
}

/** openai-api-route: allow, then deny; an entry may name the model or the URL path (e.g. /v1/audio/transcriptions). */
export function servesModel(upstream: CompiledUpstream, model: string | undefined, pathname: string): boolean {
  if (upstream.allow !== undefined && !(model !== undefined && upstream.allow.has(model)) && !upstream.allow.has(pathname)) return false
  if (upstream.deny !== undefined && ((model !== undefined && upstream.deny.has(model)) || upstream.deny.has(pathname))) return false
  return true
}
