import { randomUUID } from 'node:crypto'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { RelayError } from '../../errors.js'
import { RelayContext } from '../../pipeline/context.js'
import type { Stage } from '../../pipeline/run.js'
import { checkModelAccess } from '../../pipeline/stages/check-model-access.js'
import { identifyClient } from '../../pipeline/stages/identify-client.js'
import { pickCandidates } from '../../pipeline/stages/pick-candidates.js'
import { readRequest } from '../../pipeline/stages/read-request.js'
import { selectRoute } from '../../pipeline/stages/select-route.js'
import { upstreamVerdict } from '../../routing/eligibility.js'
import { upstreamModelOf, type CompiledRoute, type CompiledUpstream } from '../../routing/route-table.js'
import type { Runtime } from '../../runtime.js'
import type { ResolvedClient } from './clients.js'
import { cacheOutlook, clientOutlook, limitsOutlook, orderOf, whyLeftOut, type CacheOutlook, type ClientOutlook, type LimitsOutlook } from './outlook.js'

export interface DryRunInput {
  /** Path (and query) as a client would send it, route prefix included. */
  path: string
  method: string
  model: string | undefined
  stream: boolean
}

export interface Refusal {
  /** The stage that refused, by its name in pipeline/index.ts. */
  stage: string
  status: number
  code: string
  message: string
  param: string | null
}

export interface Candidate {
  name: string
  provider: string
  /** The model this upstream would be asked for, after its models.map; null when the request names none. */
  upstreamModel: string | null
  /** How long the relay would wait for its headers (the stream timeout for a stream). */
  timeoutMs: number
  health: { state: 'healthy' | 'cooling'; coolingUntil: number | null; consecutiveFailures: number }
}

export interface LeftOut {
  name: string
  provider: string
  reason: string
  why: string
}

export interface DryRunAnswer {
  request: { method: string; path: string; model: string | null; stream: boolean; endpoint: string }
  route: { path: string; type: string; strategy: string } | null
  client: ClientOutlook
  refused: Refusal | null
  candidates: Candidate[]
  leftOut: LeftOut[]
  order: string | null
  cache: CacheOutlook | null
  limits: LimitsOutlook | null
}

/** The relay's own stages (pipeline/index.ts), in its order, up to the choice of upstreams: the ones after it count, look up and forward. */
const dryRunStages: readonly Stage[] = [selectRoute, identifyClient, readRequest, checkModelAccess, pickCandidates]

/**
 * A request that is never sent, judged by the relay's own code (issue 15 point 7): which route, who
 * the client is, whether a stage refuses it (in the relay's words) and which upstreams would be tried
 * in which order, and why the others would not. Nothing is counted, looked up or forwarded.
 */
export async function dryRun(runtime: Runtime, input: DryRunInput, client: ResolvedClient): Promise<DryRunAnswer> {
  const ctx = dryRunContext(runtime, input, client.token)
  let refused: Refusal | undefined
  for (const stage of dryRunStages) {
    try {
      const result = stage(ctx)
      if (result instanceof Promise) await result
    } catch (error) {
      if (!(error instanceof RelayError)) throw error
      refused = { stage: stage.name, status: error.status, code: error.code, message: error.message, param: error.param ?? null }
      break
    }
  }
  // Typed as always set, but a request refused by selectRoute has no route.
  const route = ctx.route as CompiledRoute | undefined
  const passed = refused === undefined
  return {
    request: { method: ctx.method, path: ctx.pathname, model: ctx.model ?? null, stream: ctx.stream, endpoint: ctx.endpoint },
    route: route === undefined ? null : { path: route.path, type: route.type, strategy: route.strategy },
    client: clientOutlook(ctx, client.label),
    refused: refused ?? null,
    candidates: passed ? ctx.candidates.map((upstream) => candidateOf(ctx, upstream)) : [],
    leftOut: route === undefined ? [] : leftOutOf(ctx, route, refused),
    order: route === undefined ? null : orderOf(route.strategy),
    cache: route === undefined ? null : cacheOutlook(ctx, route),
    limits: passed ? limitsOutlook(ctx) : null,
  }
}

/** A context like the relay listener's, on a request object that is never read from a socket nor answered. */
function dryRunContext(runtime: Runtime, input: DryRunInput, token: string | undefined): RelayContext {
  const request = new IncomingMessage(new Socket())
  request.method = input.method
  request.url = input.path
  request.headers = { 'content-type': 'application/json', ...(token !== undefined && { authorization: `Bearer ${token}` }) }
  const ctx = new RelayContext(runtime, `dry-run-${randomUUID()}`, request, new ServerResponse(request))
  // The body facts the stages read (model, stream), as the JSON body a client would send.
  if (input.method !== 'GET' && input.method !== 'HEAD') {
    ctx.body = Buffer.from(JSON.stringify({ ...(input.model !== undefined && { model: input.model }), ...(input.stream && { stream: true }) }))
  }
  return ctx
}

function candidateOf(ctx: RelayContext, upstream: CompiledUpstream): Candidate {
  const health = ctx.runtime.health.get(upstream.id)
  const cooling = health.coolingUntil > Date.now()
  return {
    name: upstream.name,
    provider: upstream.provider.name,
    upstreamModel: upstreamModelOf(upstream, ctx.model) ?? null,
    timeoutMs: ctx.stream ? upstream.timeouts.streamHeaders : upstream.timeouts.headers,
    health: { state: cooling ? 'cooling' : 'healthy', coolingUntil: cooling ? health.coolingUntil : null, consecutiveFailures: health.consecutiveFailures },
  }
}

/** The upstreams of the route that would not be tried, each with the verdict the relay reaches on it. */
function leftOutOf(ctx: RelayContext, route: CompiledRoute, refused: Refusal | undefined): LeftOut[] {
  // The level's model list refuses the request before any upstream is judged: it leaves out every one.
  const byLevel = refused?.stage === checkModelAccess.name
  if (refused !== undefined && !byLevel && refused.stage !== pickCandidates.name) return []
  const left: LeftOut[] = []
  for (const upstream of route.upstreams) {
    const reason = byLevel ? 'level-model-not-allowed' : upstreamVerdict(ctx, upstream)
    if (reason !== 'eligible') left.push({ name: upstream.name, provider: upstream.provider.name, reason, why: whyLeftOut(ctx, upstream, reason) })
  }
  return left
}
