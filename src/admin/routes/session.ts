import type { FastifyInstance } from 'fastify'
import { RelayError } from '../../errors.js'
import type { AdminContext } from '../app.js'
import { requireCaller } from '../auth.js'
import { clearedCookie, sessionCookie } from '../cookie.js'
import { roleOf } from '../credentials.js'

const loginBody = {
  type: 'object',
  required: ['password'],
  additionalProperties: false,
  properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const

/** Login, logout and who is logged in (issue 15 point 2). */
export function sessionRoutes(app: FastifyInstance, context: AdminContext): void {
  app.post<{ Body: { password: string } }>('/admin/api/login', { schema: { body: loginBody } }, async (request, reply) => {
    const address = request.ip
    const wait = context.throttle.waitMs(address)
    if (wait > 0) throw new RelayError('RELAY_ERR_LOGIN_THROTTLED', 'Too many failed logins: try again later.', { headers: { 'retry-after': String(Math.ceil(wait / 1000)) } })
    const role = roleOf(context.credentials, request.body.password)
    if (role === undefined) {
      context.throttle.failed(address)
      context.logger.warn({ address }, 'admin login refused')
      await context.record({ actor: 'nobody', address, action: 'login-refused', summary: 'A login with a wrong password was refused.' })
      throw new RelayError('RELAY_ERR_UNAUTHORIZED', 'Wrong password.')
    }
    context.throttle.succeeded(address)
    const session = context.sessions.open(role)
    context.logger.info({ address, role }, 'admin login')
    await context.record({ actor: `${role} (session)`, address, action: 'login', summary: `Logged in as ${role}.` })
    void reply.header('set-cookie', sessionCookie(session.id, context.sessions.maxAgeSeconds, request.protocol === 'https'))
    return { role }
  })

  app.post('/admin/api/logout', async (request, reply) => {
    const caller = context.caller(request)
    if (caller?.sessionId !== undefined) {
      context.sessions.close(caller.sessionId)
      await context.record({ actor: `${caller.role} (session)`, address: request.ip, action: 'logout', summary: `Logged out (${caller.role}).` })
    }
    void reply.header('set-cookie', clearedCookie(request.protocol === 'https'))
    return { loggedOut: true }
  })

  app.get('/admin/api/me', async (request) => {
    const caller = requireCaller(context.caller(request))
    return { role: caller.role, via: caller.via }
  })
}
