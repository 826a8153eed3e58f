import type { FastifyInstance } from 'fastify'
import { RelayError } from '../../errors.js'
import type { ConfigEdit } from '../../config/edit/edits.js'
import type { AdminContext } from '../app.js'
import { requireAdmin, requireCaller } from '../auth.js'

const path = { type: 'array', minItems: 1, maxItems: 16, items: { anyOf: [{ type: 'string', maxLength: 256 }, { type: 'integer', minimum: 0 }] } } as const
const changeBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: { type: 'string', maxLength: 2 * 1024 * 1024 },
    edits: {
      type: 'array',
      maxItems: 256,
      items: {
        type: 'object',
        required: ['op', 'path'],
        additionalProperties: false,
        properties: { op: { enum: ['set', 'delete', 'append'] }, path, value: {} },
      },
    },
  },
} as const

interface ChangeBody {
  source?: string
  edits?: ConfigEdit[]
}

/**
 * The config as a YAML document (issue 15 point 5): read it masked with its ETag, check a change,
 * apply one (If-Match, validated by the loader a start uses, written atomically, then reloaded).
 */
export function configRoutes(app: FastifyInstance, context: AdminContext): void {
  const editorOf = () => {
    if (context.editor === undefined) throw new RelayError('RELAY_ERR_CONFIG_READ_ONLY', 'The gateway runs without a config file (embedded defaults or environment variables): there is no file to change.')
    return context.editor
  }

  app.get('/admin/api/config', async (request, reply) => {
    requireCaller(context.caller(request))
    const view = editorOf().view()
    void reply.header('etag', view.etag)
    return { file: view.file, etag: view.etag, readOnly: view.readOnly ?? null, source: view.source }
  })

  app.post<{ Body: ChangeBody }>('/admin/api/config/check', { schema: { body: changeBody } }, async (request) => {
    requireCaller(context.caller(request))
    return { issues: editorOf().check(request.body) }
  })

  app.put<{ Body: ChangeBody }>('/admin/api/config', { schema: { body: changeBody } }, async (request, reply) => {
    const caller = requireAdmin(context.caller(request), request)
    if (request.body.source === undefined && request.body.edits === undefined) throw new RelayError('RELAY_ERR_BAD_REQUEST', 'Send the whole document as `source`, or `edits`.')
    const ifMatch = request.headers['if-match']
    const written = editorOf().apply(request.body, typeof ifMatch === 'string' ? ifMatch : undefined)
    const reloaded = context.reloader.reloadOrExplain('admin api')
    context.logger.info({ address: request.ip, applied: reloaded.applied }, 'config changed through the admin API')
    const how = request.body.source !== undefined ? 'in the YAML editor' : `by ${request.body.edits!.length} edit${request.body.edits!.length === 1 ? '' : 's'}`
    await context.record({
      actor: `${caller.role} (${caller.via})`,
      address: request.ip,
      action: 'config-change',
      summary: `Changed the config ${how}; ${reloaded.applied ? 'applied' : 'written, but the reload was refused'}.`,
      diff: written.diff,
    })
    void reply.header('etag', written.etag)
    return { etag: written.etag, applied: reloaded.applied, ...(!reloaded.applied && { problem: reloaded.problem }) }
  })
}
