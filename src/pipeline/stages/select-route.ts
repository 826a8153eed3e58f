import { RelayError } from '../../errors.js'
import { hasDotSegment } from '../../http/pathname.js'
import type { RelayContext } from '../context.js'

/** Path → route (longest prefix first, whole segments). */
export function selectRoute(ctx: RelayContext): undefined {
  const { pathname } = ctx
  if (hasDotSegment(pathname)) {
    throw new RelayError('RELAY_ERR_BAD_PATH', 'The path must not contain "." or ".." segments, plain or percent-encoded.')
  }
  const match = ctx.runtime.routes.match(ctx.url, pathname)
  if (match === undefined) throw new RelayError('RELAY_ERR_NO_ROUTE', `No route serves the path ${pathname}.`)
  ctx.route = match.route
  ctx.rest = match.rest
  if (match.route.type === 'openai') ctx.endpoint = ctx.pathEndpoint
}
