import { createHash } from 'node:crypto'
import stableStringify from 'safe-stable-stringify'
import { clientScope, type ClientFacts } from '../access/client-scope.js'
import type { Endpoint } from '../routing/endpoint.js'
import type { RouteCache } from './route-cache.js'

/**
 * Body fields that do not decide the answer, left out of the key: how it is delivered (stream,
 * stream_options), the cache switch itself, and bookkeeping the model never sees (user, metadata,
 * store, service_tier, safety_identifier, prompt_cache_key). Every other field is part of the key, so a
 * field OpenAI adds tomorrow can only cause a miss, never a wrong hit. docs/cache.md lists them.
 */
export const fieldsOutsideKey: ReadonlySet<string> = new Set(['stream', 'stream_options', 'caching', 'user', 'metadata', 'store', 'service_tier', 'safety_identifier', 'prompt_cache_key'])

/** What the key is made of (a RelayContext is one). */
export interface CacheKeyFacts extends ClientFacts {
  readonly route: { readonly path: string; readonly type: 'openai' | 'general' }
  readonly json: Record<string, unknown> | undefined
  readonly body: Buffer | undefined
  readonly method: string
  /** The path after the route prefix, with the query. */
  readonly rest: string
  readonly endpoint: Endpoint
}

/** chat: stored as one completion and replayable as a stream or a plain answer; raw: the answer bytes as they came. */
export type CacheEntryKind = 'chat' | 'raw'

export interface CacheKey {
  key: string
  kind: CacheEntryKind
}

/**
 * The SHA-256 of everything that decides the answer: the route, the scope (the client's identity, or
 * `shared`), method, path and query after the route prefix, and the body: on openai routes its JSON
 * with keys sorted (order never matters) minus fieldsOutsideKey, elsewhere its bytes as they are.
 * A chat request keys without `stream`, so a streamed and a plain request share one entry; other
 * endpoints keep it, since their raw answer differs.
 */
export function cacheKeyOf(ctx: CacheKeyFacts, cache: RouteCache): CacheKey {
  const json = ctx.route.type === 'openai' ? ctx.json : undefined
  const kind: CacheEntryKind = json !== undefined && ctx.endpoint === 'chat' ? 'chat' : 'raw'
  const scope = cache.scope === 'shared' ? 'shared' : clientScope(ctx)
  const hash = createHash('sha256')
  hash.update(`llm-relay cache v1\0${ctx.route.path}\0${scope}\0${ctx.method}\0${ctx.rest}\0${kind}\0`)
  if (json !== undefined) {
    const deciding: Record<string, unknown> = {}
    for (const field in json) if (!fieldsOutsideKey.has(field)) deciding[field] = json[field]
    if (kind === 'raw' && json.stream === true) deciding.stream = true
    hash.update(stableStringify(deciding) ?? '')
  } else if (ctx.body !== undefined) {
    hash.update(ctx.body)
  }
  return { key: `${kind}:${hash.digest('hex')}`, kind }
}
