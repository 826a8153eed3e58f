import { answered, type StageResult } from '../run.js'
import type { RelayContext } from '../context.js'

/** CORS preflight is answered here, never forwarded: browsers send it without credentials. */
export function answerPreflight(ctx: RelayContext): StageResult {
  const origin = ctx.runtime.corsOrigin
  if (origin === undefined || ctx.method !== 'OPTIONS' || ctx.request.headers['access-control-request-method'] === undefined) return undefined
  ctx.response.writeHead(204, {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD',
    'access-control-allow-headers': ctx.request.headers['access-control-request-headers'] ?? 'authorization, content-type',
    'access-control-max-age': '86400',
    vary: 'origin, access-control-request-headers',
  })
  ctx.response.end()
  ctx.outcome.status = 204
  ctx.outcome.completed = true
  return answered
}
