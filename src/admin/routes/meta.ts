import type { FastifyInstance } from 'fastify'
import { version } from '../../cli/version.js'
import type { AdminContext } from '../app.js'
import { requireCaller } from '../auth.js'
import { providerForms } from '../provider-fields.js'

/** What the UI needs to know of this gateway before it draws a form: its version and the providers an upstream may have. */
export function metaRoutes(app: FastifyInstance, context: AdminContext): void {
  const providers = providerForms()
  app.get('/admin/api/meta', async (request) => {
    requireCaller(context.caller(request))
    return { version, providers }
  })
}
