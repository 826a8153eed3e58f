import { writeAnswerHead } from '../../http/respond.js'
import { answered, type StageResult } from '../run.js'
import type { RelayContext } from '../context.js'

/** CORS preflight is answered here, never forwarded: browsers send it without credentials. */
export function answerPreflight(ctx: RelayContext): StageResult {
  const origin = ctx.runtime.corsOrigin
  if (origin === undefined || ctx.method !== 'OPTIONS' || ctx.request.headers['access-control-request-method'] === undefined) return undefined
  // The gateway's own headers: an upstream's access-control-* headers would be replaced, these are not.
  ctx.addResponseHeaders({
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD',
    'access-control-allow-headers': ctx.request.headers['access-control-request-headers'] ?? 'authorization, content-type',
    'access-control-max-age': '86400',
  })
  writeAnswerHead(ctx, 204, { vary: 'origin, access-control-request-headers' })
  ctx.response.end()
  ctx.outcome.completed = true
  return answered
}
