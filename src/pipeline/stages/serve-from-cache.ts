import type { IncomingHttpHeaders } from 'node:http'
import { ChatAssembler } from '../../answers/chat-assembler.js'
import type { AnswerCache } from '../../cache/answer-cache.js'
import type { CacheFill } from '../../cache/cache-fill.js'
import { cacheKeyOf } from '../../cache/cache-key.js'
import { RawCopy } from '../../cache/raw-copy.js'
import { replayEntry } from '../../cache/replay.js'
import { cachesRequest, pathUnderRoute, type RouteCache } from '../../cache/route-cache.js'
import type { RelayContext } from '../context.js'
import { answered, type StageResult } from '../run.js'

/**
 * The answer cache, on routes that have one. Whether to read: `always` unless the request says no,
 * `opt-in` only when it asks (body `caching: true` or header `x-relay-cache: true`); `Cache-Control:
 * no-cache` never reads and `no-store` never writes. A hit is answered here (HIT, with `age`); a miss
 * (MISS) or an unread request (BYPASS) goes on upstream and its complete 2xx answer is stored at the
 * finish. While one request for an entry is upstream, identical ones wait for it and replay its answer.
 */
export function serveFromCache(ctx: RelayContext): StageResult | Promise<StageResult> {
  const rule = ctx.route.cache
  const cache = ctx.runtime.cache
  if (rule === undefined || cache === undefined) return undefined
  if (!cachesRequest(rule, ctx.route.type, ctx.method, pathUnderRoute(ctx.route.path, ctx.pathname), ctx.endpoint, ctx.json !== undefined)) return undefined
  const asked = ctx.cachingFlag ?? headerFlag(ctx.request.headers)
  const control = ctx.request.headers['cache-control'] ?? ''
  const read = (rule.mode === 'always' ? asked !== false : asked === true) && !/\bno-cache\b/i.test(control)
  const write = !/\bno-store\b/i.test(control)
  return lookUp(ctx, cache, rule, read, write)
}

async function lookUp(ctx: RelayContext, cache: AnswerCache, rule: RouteCache, read: boolean, write: boolean): Promise<StageResult> {
  const { key, kind } = cacheKeyOf(ctx, rule)
  const metrics = ctx.runtime.metrics
  // A request that reads may lead the single flight of its key (when it may also write the answer).
  let release: (() => void) | undefined
  if (read) {
    let hit = await cache.read(key)
    if (hit === undefined) {
      let claim = await cache.claim(key, write)
      if (claim.kind === 'wait') {
        if (!(await waitUnlessClientLeaves(ctx, claim.done))) return answered
        hit = await cache.read(key)
        // The leader's answer was not kept (an error, a client that left): this one may lead, never wait twice.
        claim = hit === undefined ? await cache.claim(key, write) : { kind: 'none' }
        if (claim.kind === 'wait') claim = { kind: 'none' }
      }
      if (claim.kind === 'lead') release = claim.release
    }
    if (hit !== undefined) {
      ctx.cacheStatus = 'HIT'
      metrics.cacheRequests.inc({ status: 'HIT' })
      replayEntry(ctx, hit.entry, hit.storedAt)
      return answered
    }
  }
  const status = read ? 'MISS' : 'BYPASS'
  ctx.cacheStatus = status
  metrics.cacheRequests.inc({ status })
  ctx.addResponseHeaders({ 'x-relay-cache': status })
  if (!write) return undefined
  const fill: CacheFill = { key, kind, ttlMs: rule.ttlMs, release, assembler: undefined, copy: undefined, status: undefined, contentType: undefined }
  if (kind === 'chat') {
    // The meter reads the answer anyway (and asks a stream for its usage, so the entry has it).
    const meter = ctx.needUsage()
    fill.assembler = meter.assembler ??= new ChatAssembler()
  } else {
    fill.copy = new RawCopy(ctx.runtime.config.cache.maxEntryBytes)
  }
  ctx.cacheFill = fill
  return undefined
}

/** `x-relay-cache: true|false` (also 1/0, yes/no); anything else means the request did not say. */
function headerFlag(headers: IncomingHttpHeaders): boolean | undefined {
  const value = headers['x-relay-cache']
  if (typeof value !== 'string') return undefined
  const text = value.trim().toLowerCase()
  if (text === 'true' || text === '1' || text === 'yes') return true
  if (text === 'false' || text === '0' || text === 'no') return false
  return undefined
}

/** Resolves true once `pending` settles, false as soon as the client leaves instead. */
function waitUnlessClientLeaves(ctx: RelayContext, pending: Promise<void>): Promise<boolean> {
  if (ctx.clientGone) return Promise.resolve(false)
  return new Promise((resolve) => {
    ctx.cancelOnDisconnect = { cancel: () => resolve(false) }
    void pending.then(() => {
      ctx.cancelOnDisconnect = undefined
      resolve(!ctx.clientGone)
    })
  })
}
