import type { FastifyRequest } from 'fastify'
import { RelayError } from '../errors.js'
import { sessionIdOf } from './cookie.js'
import { roleOf, type AdminCredentials, type AdminRole } from './credentials.js'
import type { SessionBook } from './sessions.js'

export interface Caller {
  role: AdminRole
  /** A browser session (cookie) or a script (Authorization: Bearer <password>). */
  via: 'session' | 'bearer'
  sessionId: string | undefined
}

const bearer = /^\s*bearer\s+/i

/** Who is calling: a session's cookie or a role's password as a Bearer token; undefined for nobody known. */
export function callerOf(request: FastifyRequest, credentials: AdminCredentials, sessions: SessionBook): Caller | undefined {
  const authorization = request.headers.authorization
  if (authorization !== undefined && bearer.test(authorization)) {
    const role = roleOf(credentials, authorization.replace(bearer, '').trim())
    return role === undefined ? undefined : { role, via: 'bearer', sessionId: undefined }
  }
  const id = sessionIdOf(request.headers)
  const session = id === undefined ? undefined : sessions.find(id)
  return session === undefined ? undefined : { role: session.role, via: 'session', sessionId: session.id }
}

export function requireCaller(caller: Caller | undefined): Caller {
  if (caller === undefined) throw new RelayError('RELAY_ERR_UNAUTHORIZED', 'Log in first (POST /admin/api/login), or send Authorization: Bearer <admin password>.')
  return caller
}

/**
 * A change needs the admin role and, from a browser, a same-origin JSON request: with SameSite=Strict
 * cookies and no form a page of another site can send as application/json, this stops cross-site
 * requests (ui.md §3, CSRF).
 */
export function requireAdmin(caller: Caller | undefined, request: FastifyRequest): Caller {
  const known = requireCaller(caller)
  if (known.role !== 'admin') throw new RelayError('RELAY_ERR_ADMIN_FORBIDDEN', 'The viewer role changes nothing: log in as admin.')
  if (known.via === 'session') {
    const origin = request.headers.origin
    const host = request.headers.host
    // An Origin that is no URL (`null` from a sandboxed page, garbage) is not the UI either: refused, where new URL() threw a 500.
    if (origin !== undefined && host !== undefined && (!URL.canParse(origin) || new URL(origin).host !== host)) throw new RelayError('RELAY_ERR_ADMIN_FORBIDDEN', 'A change must come from the admin UI itself.')
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) throw new RelayError('RELAY_ERR_ADMIN_FORBIDDEN', 'A change must be sent as application/json.')
  }
  return known
}
