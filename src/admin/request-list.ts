import type { RequestRecord } from '../records/record.js'
import type { RequestRow } from './wire.js'
import type { RecordQuery } from '../storage/types.js'

/**
 * The Requests page's filters and rows, shared by its list (GET /admin/api/requests) and its live tail
 * (GET /admin/api/events), so that a filter means the same in both.
 */

/** The filters as query-string schema properties. */
export const requestFilterProperties = {
  route: { type: 'string', maxLength: 512 },
  model: { type: 'string', maxLength: 512 },
  upstream: { type: 'string', maxLength: 512 },
  client: { type: 'string', maxLength: 512 },
  // Classes 2xx-5xx only, as the record stores take them (1xx failed there with a 500).
  status: { type: 'string', pattern: '^([2-5]xx|[1-5][0-9][0-9]|error)$' },
  cache: { enum: ['HIT', 'MISS', 'BYPASS'] },
  id: { type: 'string', minLength: 1, maxLength: 256 },
} as const

export type RequestFilterQuery = { [K in keyof typeof requestFilterProperties]?: string }

/** The record query of the filters given. */
export function requestFilterOf(query: RequestFilterQuery): RecordQuery {
  const filter: RecordQuery = {}
  if (query.route !== undefined) filter.route = query.route
  if (query.model !== undefined) filter.model = query.model
  if (query.upstream !== undefined) filter.upstream = query.upstream
  if (query.client !== undefined) filter.client = query.client
  if (query.cache !== undefined) filter.cache = query.cache as RecordQuery['cache']
  if (query.id !== undefined) filter.idPrefix = query.id
  if (query.status !== undefined) filter.status = /^\d+$/.test(query.status) ? Number(query.status) : (query.status as RecordQuery['status'])
  return filter
}

/** A record as the list shows it: what a row needs, not its attempts or content (loaded on a click). */
export function requestRow(record: RequestRecord): RequestRow {
  const { attempts: _attempts, content: _content, userAgent: _userAgent, ...rest } = record
  // Rows are read with their seq (withSeq), which pages and the tail's event ids are made of.
  return { ...rest, seq: record.seq ?? 0 }
}
