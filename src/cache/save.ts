import type { RelayContext } from '../pipeline/context.js'
import type { CacheFill } from './cache-fill.js'
import type { CacheEntry } from './entry.js'

/**
 * At the finish of a cache miss: stores the answer when it is worth keeping (relayed to its end,
 * 2xx, the client stayed; a chat answer whose every choice has a finish reason), then ends its single
 * flight so waiting requests read it. Errors, truncated or abandoned answers are never stored.
 */
/** Resolves once the answer is stored (or was not kept) and waiting requests were let go; never rejects. */
export function saveToCache(ctx: RelayContext): Promise<void> | undefined {
  const fill = ctx.cacheFill
  const cache = ctx.runtime.cache
  if (fill === undefined) return undefined
  ctx.cacheFill = undefined
  const { outcome } = ctx
  const status = outcome.status ?? 0
  const complete = outcome.completed && outcome.error === undefined && !ctx.clientGone && status >= 200 && status < 300
  const entry = complete ? entryOf(fill, status) : undefined
  if (cache === undefined || entry === undefined) {
    fill.release?.()
    return undefined
  }
  return cache.write(fill.key, entry, fill.ttlMs).then(
    () => fill.release?.(),
    () => fill.release?.(),
  )
}

function entryOf(fill: CacheFill, status: number): CacheEntry | undefined {
  if (fill.kind === 'chat') {
    const completion = fill.assembler?.result()
    // A stream that stopped without a finish reason is not a whole answer, however cleanly it closed.
    if (completion === undefined || completion.choices.some((choice) => choice.finish_reason === null)) return undefined
    return { kind: 'chat', completion }
  }
  const body = fill.copy?.result()
  return body === undefined ? undefined : { kind: 'raw', status, contentType: fill.contentType, body }
}
