import type { FastifyInstance } from 'fastify'
import { parseDocument } from 'yaml'
import { RelayError } from '../../errors.js'
import { nativeYaml } from '../../config/edit/apply.js'
import type { ConfigEdit } from '../../config/edit/edits.js'
import type { AdminContext } from '../app.js'
import { requireAdmin, requireCaller } from '../auth.js'

// Integer first: Fastify's validator coerces types, and with string first a list index would arrive as "1".
const path = { type: 'array', minItems: 1, maxItems: 16, items: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', maxLength: 256 }] } } as const
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
        properties: { op: { enum: ['set', 'delete', 'append', 'move'] }, path, value: {}, to: { type: 'integer', minimum: 0 } },
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
  const noFile = 'the gateway runs without a config file (embedded defaults or environment variables): there is no file to change'
  const editorOf = () => {
    if (context.editor === undefined) throw new RelayError('RELAY_ERR_CONFIG_READ_ONLY', `The config cannot be changed here: ${noFile}.`)
    return context.editor
  }

  app.get('/admin/api/config', async (request, reply) => {
    requireCaller(context.caller(request))
    if (context.editor === undefined) {
      // No file to edit: the running config is still worth seeing, read-only, as the YAML that would give it.
      const source = nativeYaml(context.native, false)
      return { file: null, etag: null, readOnly: noFile, source, document: parseDocument(source).toJS() }
    }
    const view = context.editor.view()
    void reply.header('etag', view.etag)
    return { file: view.file, etag: view.etag, readOnly: view.readOnly ?? null, source: view.source, document: view.document }
  })

  // Issue 15 point 6: an export leaves the secrets out unless an admin asks for them, and that is audited.
  app.get<{ Querystring: { secrets?: boolean } }>(
    '/admin/api/config/export',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { secrets: { type: 'boolean', default: false } } } } },
    async (request, reply) => {
      const withSecrets = request.query.secrets === true
      const caller = withSecrets ? requireAdmin(context.caller(request), request) : requireCaller(context.caller(request))
      const text = context.editor === undefined ? nativeYaml(context.native, withSecrets) : context.editor.exportYaml(withSecrets)
      if (withSecrets) {
        await context.record({ actor: `${caller.role} (${caller.via})`, address: request.ip, action: 'config-export', summary: 'Downloaded the config with its secrets.' })
      }
      void reply.header('content-type', 'application/yaml; charset=utf-8').header('content-disposition', 'attachment; filename="relay.yaml"')
      return text
    },
  )

  app.post<{ Body: ChangeBody }>('/admin/api/config/check', { schema: { body: changeBody } }, async (request) => {
    requireCaller(context.caller(request))
    return { issues: editorOf().check(request.body) }
  })

  app.put<{ Body: ChangeBody }>('/admin/api/config', { schema: { body: changeBody } }, async (request, reply) => {
    const caller = requireAdmin(context.caller(request), request)
    if (request.body.source === undefined && request.body.edits === undefined) throw new RelayError('RELAY_ERR_BAD_REQUEST', 'Send the whole document as `source`, or `edits`.')
    const ifMatch = request.headers['if-match']
    const written = editorOf().apply(request.body, typeof ifMatch === 'string' ? ifMatch : undefined)
    const reloaded = await context.reloader.reloadOrExplain('admin api')
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
