import { RelayError } from '../../errors.js'
import type { RelayContext } from '../context.js'

/** A `.` or `..` path segment could climb out of an upstream's base path; no API uses them. */
const dotSegment = /(^|\/)\.\.?(\/|$)/

/** Path → route (longest prefix first, whole segments). */
export function selectRoute(ctx: RelayContext): undefined {
  const queryStart = ctx.url.indexOf('?')
  const pathname = queryStart === -1 ? ctx.url : ctx.url.slice(0, queryStart)
  if (pathname.includes('/.') && dotSegment.test(pathname)) {
    throw new RelayError('RELAY_ERR_BAD_PATH', 'The path must not contain "." or ".." segments.')
  }
  const match = ctx.runtime.routes.match(ctx.url)
  if (match === undefined) throw new RelayError('RELAY_ERR_NO_ROUTE', `No route serves the path ${pathname}.`)
  ctx.route = match.route
  ctx.rest = match.rest
}
