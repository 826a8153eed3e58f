import type { FastifyInstance } from 'fastify'
import { RelayError } from '../../errors.js'
import type { RecordQuery, RecordStore } from '../../storage/types.js'
import type { AdminContext } from '../app.js'
import { requireCaller } from '../auth.js'
import { requestFilterOf, requestFilterProperties, requestRow } from '../request-list.js'

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Bounded: a PostgreSQL bigint (and a JS number's exact range) ends below 1e20, and 1e20 would fail there as a 500.
    since: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    until: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    ...requestFilterProperties,
    /** `time:seq` of the last record of the page before (keyset paging). */
    // At most 15 digits each: exact as JS numbers and within a PostgreSQL bigint (longer ones failed as a 500).
    before: { type: 'string', pattern: '^[0-9]{1,15}:[0-9]{1,15}$' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
} as const

type ListQuery = { [K in keyof (typeof listQuery)['properties']]?: K extends 'since' | 'until' | 'limit' ? number : string }

/**
 * The request records (issue 15 point 4), newest first: filters, keyset pages (`before`, never an
 * offset or a count, so the first page costs the same on a million records), and one record in full.
 * The viewer sees no content (request bodies, answers): only an admin does.
 */
export function requestRoutes(app: FastifyInstance, context: AdminContext, store: RecordStore | undefined): void {
  app.get<{ Querystring: ListQuery }>('/admin/api/requests', { schema: { querystring: listQuery } }, async (request) => {
    requireCaller(context.caller(request))
    // With records off there is nothing to list; the page says so rather than showing an error.
    if (store === undefined) return { records: [], next: null, recordsOff: true }
    const query = request.query
    const filter: RecordQuery = { ...requestFilterOf(query), limit: query.limit ?? 50, withSeq: true }
    if (query.since !== undefined) filter.since = query.since
    if (query.until !== undefined) filter.until = query.until
    if (query.before !== undefined) {
      const [time, seq] = query.before.split(':').map(Number)
      filter.before = { time: time!, seq: seq! }
    }
    const found = await store.query(filter)
    const last = found.at(-1)
    return { records: found.map(requestRow), recordsOff: false, next: found.length === filter.limit && last !== undefined ? `${last.time}:${last.seq}` : null }
  })

  app.get<{ Params: { seq: number } }>('/admin/api/requests/:seq', { schema: { params: { type: 'object', properties: { seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }, required: ['seq'] } } }, async (request) => {
    const caller = requireCaller(context.caller(request))
    const [record] = store === undefined ? [] : await store.query({ seq: request.params.seq, withSeq: true, limit: 1 })
    if (record === undefined) throw new RelayError('RELAY_ERR_ADMIN_NOT_FOUND', `No request record ${request.params.seq}${store === undefined ? ' (records are off)' : ''}.`)
    if (caller.role === 'viewer' && record.content !== undefined) {
      const { content: _content, ...rest } = record
      return { ...rest, contentHidden: true }
    }
    return record
  })
}
