import type { FastifyInstance } from 'fastify'
import type { AdminContext } from '../app.js'
import { requireCaller } from '../auth.js'

const query = {
  type: 'object',
  additionalProperties: false,
  // Bounded as a PostgreSQL bigint and a JS number can hold it: past that the store failed with a 500.
  properties: { before: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
} as const

/** The audit log (issue 15 point 6), newest first, a page at a time by `before` (the last seq seen). Diffs are masked: the viewer may read it. */
export function auditRoutes(app: FastifyInstance, context: AdminContext): void {
  app.get<{ Querystring: { before?: number; limit: number } }>('/admin/api/audit', { schema: { querystring: query } }, async (request) => {
    requireCaller(context.caller(request))
    const entries = await context.audit.list({ ...(request.query.before !== undefined && { beforeSeq: request.query.before }), limit: request.query.limit })
    return { entries, next: entries.length === request.query.limit ? (entries.at(-1)?.seq ?? null) : null }
  })
}
