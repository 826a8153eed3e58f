import type { RecordPruneOptions, RecordQuery } from './types.js'
import type { CacheStatus, RecordAttempt, RecordContent, RecordLevel, RequestRecord, TokensSource } from '../records/record.js'

/**
 * A RequestRecord as a row of the `request_records` table, shared by the SQLite and PostgreSQL
 * backends so that both store and read back exactly the same thing. Attempts and content are JSON
 * text; absent fields are SQL NULL and come back absent (not `undefined`).
 */

/** Column names in the order of rowValues(); each backend's migration declares their SQL types. */
export const recordColumns = [
  'id',
  'time',
  'route',
  'method',
  'path',
  'client_id',
  'client_ip',
  'user_agent',
  'model',
  'stream',
  'upstream',
  'attempts',
  'status',
  'headers_ms',
  'first_byte_ms',
  'total_ms',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'tokens_source',
  'cache',
  'error',
  'level',
  'content',
  'provider',
  'upstream_model',
  'dialect',
] as const

export type RowValue = string | number | boolean | null

// Integer columns get integers: a fractional token estimate or a NaN must not fail a whole batch.
function integer(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : Math.round(value)
}

function real(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value
}

/**
 * The attempts as JSON text, written out rather than by JSON.stringify: measured, stringifying this
 * small array was most of the cost of turning a record into a row, paid for every request. Same
 * text as JSON.stringify for these objects (keys in their order, absent ones left out).
 */
export function attemptsJson(attempts: readonly RecordAttempt[]): string {
  let json = '['
  for (let index = 0; index < attempts.length; index++) {
    const attempt = attempts[index]!
    if (index > 0) json += ','
    json += `{"upstream":${JSON.stringify(attempt.upstream)}`
    if (attempt.status !== undefined) json += `,"status":${jsonNumber(attempt.status)}`
    if (attempt.error !== undefined) json += `,"error":${JSON.stringify(attempt.error)}`
    json += `,"durationMs":${jsonNumber(attempt.durationMs)}}`
  }
  return `${json}]`
}

function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null'
}

/**
 * The content as JSON text. A part that cannot be serialised (nested too deep for the stack, say) is
 * left out and named in `omitted`: the record is kept, and one hostile body never fails the batch
 * it is written in, which would drop every other request's record with it (issue 13, point 4).
 */
export function contentJson(content: RecordContent): string {
  try {
    return JSON.stringify(content)
  } catch (error) {
    const kept: Record<string, unknown> = {}
    const omitted: string[] = []
    for (const [part, value] of Object.entries(content)) {
      try {
        JSON.stringify(value)
        kept[part] = value
      } catch {
        omitted.push(part)
      }
    }
    kept.omitted = `${omitted.join(', ') || 'content'} not stored: ${error instanceof Error ? error.message : String(error)}`
    return JSON.stringify(kept)
  }
}

/** The record's values in recordColumns order. */
export function rowValues(record: RequestRecord): RowValue[] {
  return [
    record.id,
    integer(record.time) ?? 0,
    record.route ?? null,
    record.method,
    record.path,
    record.clientId ?? null,
    record.clientIp ?? null,
    record.userAgent ?? null,
    record.model ?? null,
    record.stream,
    record.upstream ?? null,
    attemptsJson(record.attempts),
    integer(record.status) ?? 0,
    real(record.headersMs),
    real(record.firstByteMs),
    real(record.totalMs) ?? 0,
    integer(record.promptTokens),
    integer(record.completionTokens),
    integer(record.totalTokens),
    record.tokensSource ?? null,
    record.cache ?? null,
    record.error ?? null,
    record.level,
    record.content === undefined ? null : contentJson(record.content),
    record.provider ?? null,
    record.upstreamModel ?? null,
    record.dialect ?? null,
  ]
}

const levels: readonly RecordLevel[] = ['none', 'meta', 'full']
const tokenSources: readonly TokensSource[] = ['upstream', 'counted', 'estimate']
const cacheStatuses: readonly CacheStatus[] = ['HIT', 'MISS', 'BYPASS']

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.find((item) => item === value)
}

function text(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value)
}

// PostgreSQL returns bigint as a string; epoch ms and counts are far below 2^53.
function number(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value)
}

/**
 * A row read with `SELECT <recordColumns>` back into a record. Backends select JSON columns as text
 * and may return bigint as a string and booleans as 0/1; all of that is undone here.
 */
export function recordFromRow(row: Readonly<Record<string, unknown>>): RequestRecord {
  const record: RequestRecord = {
    id: String(row.id),
    time: Number(row.time),
    method: String(row.method),
    path: String(row.path),
    stream: row.stream === true || row.stream === 1,
    attempts: JSON.parse(String(row.attempts)) as RecordAttempt[],
    status: Number(row.status),
    totalMs: Number(row.total_ms),
    level: oneOf(row.level, levels) ?? 'none',
  }
  if (row.seq !== undefined && row.seq !== null) record.seq = Number(row.seq)
  const optional = {
    route: text(row.route),
    clientId: text(row.client_id),
    clientIp: text(row.client_ip),
    userAgent: text(row.user_agent),
    model: text(row.model),
    upstream: text(row.upstream),
    provider: text(row.provider),
    upstreamModel: text(row.upstream_model),
    dialect: text(row.dialect),
    headersMs: number(row.headers_ms),
    firstByteMs: number(row.first_byte_ms),
    promptTokens: number(row.prompt_tokens),
    completionTokens: number(row.completion_tokens),
    totalTokens: number(row.total_tokens),
    tokensSource: oneOf(row.tokens_source, tokenSources),
    cache: oneOf(row.cache, cacheStatuses),
    error: text(row.error),
    content: row.content === null || row.content === undefined ? undefined : (JSON.parse(String(row.content)) as RecordContent),
  } satisfies Partial<RequestRecord>
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(record, { [key]: value })
  return record
}

/** Conditions for a RecordQuery, joined with AND ('TRUE' for none); `param` adds a value and returns its placeholder. */
export function recordConditions(filter: RecordQuery, param: (value: RowValue) => string, chatOnlySql: string, byteOrder = ''): string {
  checkQuery(filter)
  const conditions: string[] = []
  // Times are whole ms in the table (a bigint in PostgreSQL): a fractional bound becomes the whole one it means.
  if (filter.since !== undefined) conditions.push(`time >= ${param(Math.ceil(filter.since))}`)
  if (filter.until !== undefined) conditions.push(`time < ${param(Math.ceil(filter.until))}`)
  if (filter.afterTime !== undefined) conditions.push(`time > ${param(Math.floor(filter.afterTime))}`)
  if (filter.status === 'error') conditions.push('status >= 400')
  else if (typeof filter.status === 'string') {
    const floor = Number(filter.status[0]) * 100
    conditions.push(`status >= ${param(floor)} AND status < ${param(floor + 100)}`)
  } else if (filter.status !== undefined) conditions.push(`status = ${param(filter.status)}`)
  if (filter.model !== undefined) conditions.push(`model = ${param(filter.model)}`)
  if (filter.route !== undefined) conditions.push(`route = ${param(filter.route)}`)
  if (filter.client !== undefined) conditions.push(`client_id = ${param(filter.client)}`)
  if (filter.upstream !== undefined) conditions.push(`upstream = ${param(filter.upstream)}`)
  if (filter.cache !== undefined) conditions.push(`cache = ${param(filter.cache)}`)
  // A prefix compared as it is (LIKE would make % and _ wildcards, and SQLite's LIKE ignores case where
  // PostgreSQL's does not); the range before it lets the id index find the prefix's rows at once.
  if (filter.idPrefix !== undefined) {
    const range = `id${byteOrder} >= ${param(filter.idPrefix)} AND id${byteOrder} < ${param(`${filter.idPrefix}\u{10FFFF}`)}`
    conditions.push(`${range} AND substr(id, 1, ${param(filter.idPrefix.length)}) = ${param(filter.idPrefix)}`)
  }
  if (filter.seq !== undefined) conditions.push(`seq = ${param(filter.seq)}`)
  if (filter.afterSeq !== undefined) conditions.push(`seq > ${param(filter.afterSeq)}`)
  if (filter.before !== undefined) {
    const time = param(filter.before.time)
    conditions.push(`(time < ${time} OR (time = ${param(filter.before.time)} AND seq < ${param(filter.before.seq)}))`)
  }
  if (filter.chatOnly === true) conditions.push(chatOnlySql)
  return conditions.length === 0 ? 'TRUE' : conditions.join(' AND ')
}

/** The ORDER BY of a RecordQuery: newest first by time, or, to follow writes (`afterSeq`), last written first. */
export function recordOrder(filter: RecordQuery): string {
  return filter.afterSeq === undefined ? 'time DESC, seq DESC' : 'seq DESC'
}

function checkQuery(filter: RecordQuery): void {
  for (const name of ['since', 'until', 'afterTime'] as const) {
    const value = filter[name]
    if (value !== undefined && !Number.isFinite(value)) throw new RangeError(`RecordStore.query: filter.${name} must be epoch ms (got ${String(value)})`)
  }
  const { status, limit, before } = filter
  if (status !== undefined && status !== 'error' && !/^[2-5]xx$/.test(String(status)) && !Number.isInteger(status)) {
    throw new RangeError(`RecordStore.query: filter.status must be an HTTP status, a class such as 5xx, or 'error' (got ${String(status)})`)
  }
  if (filter.afterSeq !== undefined && (!Number.isSafeInteger(filter.afterSeq) || filter.afterSeq < 0)) {
    throw new RangeError(`RecordStore.query: filter.afterSeq must be the seq of a record, or 0 (got ${String(filter.afterSeq)})`)
  }
  if (before !== undefined && (!Number.isFinite(before.time) || !Number.isSafeInteger(before.seq))) {
    throw new RangeError('RecordStore.query: filter.before must be { time, seq } of a record read with withSeq')
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new RangeError(`RecordStore.query: filter.limit must be a positive integer (got ${String(limit)})`)
  }
}

export function checkPruneOptions(options: RecordPruneOptions): void {
  const { olderThan, keepRows, batchSize } = options
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`RecordStore.prune: options.batchSize must be a positive integer (got ${String(batchSize)})`)
  }
  if (olderThan !== undefined && !Number.isFinite(olderThan)) {
    throw new RangeError(`RecordStore.prune: options.olderThan must be epoch ms (got ${String(olderThan)})`)
  }
  if (keepRows !== undefined && (!Number.isSafeInteger(keepRows) || keepRows < 0)) {
    throw new RangeError(`RecordStore.prune: options.keepRows must be an integer >= 0 (got ${String(keepRows)})`)
  }
}
