import type { ChatRequest } from '../chat/request.js'
import { RelayError } from '../errors.js'

/**
 * What a translating provider does with the request fields it has no place for (translation.md §7.1,
 * issue 14 point 5). Nothing is dropped silently: a field either goes on with its meaning, or is
 * dropped and named in `x-relay-dropped-params` (a sampling hint or bookkeeping, which cannot change
 * what the answer says), or the request is refused with 400 naming it (when dropping it would).
 */

/** Fields whose loss changes what the answer is: an audio answer, legacy functions, server-side tools. */
const meaningful = new Set(['modalities', 'audio', 'functions', 'function_call', 'web_search_options'])

/** A 400 naming the field a provider cannot take without changing the answer. */
export function unsupported(provider: string, param: string, why: string): RelayError {
  return new RelayError('RELAY_ERR_UNSUPPORTED_PARAM', `'${param}' is not supported by ${provider} upstreams: ${why}`, { param })
}

/**
 * The request's `extra` fields settled for one provider: those in `take` are returned to be sent
 * (under the same name), meaningful ones are refused, the rest are added to `dropped`.
 */
export function settleExtra(provider: string, request: ChatRequest, take: ReadonlySet<string>, dropped: string[]): Record<string, unknown> {
  const taken: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(request.extra)) {
    if (value === null) continue
    if (take.has(field)) taken[field] = value
    else if (meaningful.has(field)) throw unsupported(provider, field, 'dropping it would change the answer.')
    else dropped.push(field)
  }
  return taken
}

/** More than one choice, from a provider that gives one. */
export function refuseChoices(provider: string, request: ChatRequest): void {
  if (request.n !== undefined && request.n > 1) throw unsupported(provider, 'n', 'it answers with one choice.')
}
