import type { ClientIdentity } from '../access/client-keys.js'
import type { Endpoint } from './endpoint.js'
import type { CompiledUpstream } from './route-table.js'

/** What the verdict reads of a request (a RelayContext is one; so is the admin's dry run). */
export interface EligibilityFacts {
  readonly identity: ClientIdentity
  readonly tokenHash: string | undefined
  readonly model: string | undefined
  /** The request path without its query: allow and deny lists may name a path instead of a model. */
  readonly pathname: string
  readonly endpoint: Endpoint
}

/**
 * Whether one upstream of the route may take the request, or the first reason it may not, checked in
 * this order: the client's token, the upstream's model allow and deny lists, the endpoint its provider
 * serves. The order matters: when no upstream is eligible, the one that got furthest decides the error.
 */
export type UpstreamVerdict = 'eligible' | 'token-not-allowed' | 'model-not-allowed' | 'model-denied' | 'endpoint-not-served'

/** The one judgement of an upstream, used by the relay (pickCandidates) and by the admin's dry run alike. */
export function upstreamVerdict(facts: EligibilityFacts, upstream: CompiledUpstream): UpstreamVerdict {
  if (!tokenOpens(facts, upstream)) return 'token-not-allowed'
  const { model, pathname } = facts
  // openai-api-route: allow, then deny; an entry may name the model or the URL path (e.g. /v1/audio/transcriptions).
  if (upstream.allow !== undefined && !(model !== undefined && upstream.allow.has(model)) && !upstream.allow.has(pathname)) return 'model-not-allowed'
  if (upstream.deny !== undefined && ((model !== undefined && upstream.deny.has(model)) || upstream.deny.has(pathname))) return 'model-denied'
  // Any upstream can take a token count: where its provider has no endpoint for it, the gateway counts (stages/count-tokens.ts).
  if (facts.endpoint !== 'count_tokens' && !upstream.provider.serves(facts.endpoint)) return 'endpoint-not-served'
  return 'eligible'
}

function tokenOpens(facts: EligibilityFacts, upstream: CompiledUpstream): boolean {
  if (upstream.noauth || upstream.tokenHashes.size === 0) return true
  // Forward keys are issued by the gateway itself and open every route.
  if (facts.identity.kind === 'forward-key') return true
  return facts.tokenHash !== undefined && upstream.tokenHashes.has(facts.tokenHash)
}
