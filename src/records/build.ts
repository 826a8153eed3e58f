import { generates } from '../routing/endpoint.js'
import { clientScope } from '../access/client-scope.js'
import type { Usage } from '../answers/usage-meter.js'
import type { RelayContext } from '../pipeline/context.js'
import { redactHeaders, type RecordAttempt, type RecordContent, type RequestRecord } from './record.js'

/**
 * The record of a finished request (issue 5 point 1), built at the finish from what the stages
 * left on the context. Only the path is kept, never the query (some providers take keys there), and
 * the client by its key's name or digest fingerprint, never the token.
 */
export function buildRecord(ctx: RelayContext, usage: Usage | undefined, now = performance.now()): RequestRecord {
  const { outcome } = ctx
  const level = ctx.recordLevel ?? ctx.runtime.config.records.level
  const record: RequestRecord = {
    id: ctx.id,
    time: Math.round(Date.now() - (now - ctx.startedAt)),
    method: ctx.method,
    path: ctx.pathname,
    stream: ctx.stream,
    attempts: attemptsOf(ctx),
    status: ctx.clientGone && outcome.status === undefined ? 499 : (outcome.status ?? outcome.error?.status ?? 500),
    totalMs: round(now - ctx.startedAt),
    level,
  }
  if (ctx.route !== undefined) record.route = ctx.route.path
  if (ctx.route !== undefined) record.clientId = clientScope(ctx)
  if (ctx.clientIp !== '') record.clientIp = ctx.clientIp
  const userAgent = ctx.request.headers['user-agent']
  if (userAgent !== undefined) record.userAgent = userAgent
  if (ctx.model !== undefined) record.model = ctx.model
  if (outcome.upstream !== undefined) record.upstream = outcome.upstream
  if (outcome.provider !== undefined) record.provider = outcome.provider
  if (outcome.upstreamModel !== undefined) record.upstreamModel = outcome.upstreamModel
  if (generates(ctx.endpoint) || ctx.endpoint === 'count_tokens') record.dialect = ctx.dialect.name
  if (ctx.headersAt !== undefined) record.headersMs = round(ctx.headersAt - ctx.startedAt)
  if (ctx.firstByteAt !== undefined) record.firstByteMs = round(ctx.firstByteAt - ctx.startedAt)
  if (ctx.cacheStatus !== undefined) record.cache = ctx.cacheStatus
  if (outcome.error !== undefined) record.error = outcome.error.message
  else if (ctx.clientGone && !outcome.completed) record.error = 'The client left before the answer was complete.'
  if (usage !== undefined) {
    record.promptTokens = usage.promptTokens
    record.completionTokens = usage.completionTokens
    record.totalTokens = usage.totalTokens
    record.tokensSource = usage.source
  }
  if (level === 'full') record.content = contentOf(ctx)
  return record
}

function attemptsOf(ctx: RelayContext): RecordAttempt[] {
  const { upstream, status, upstreamHeadersMs, failures, failuresBeforeRelay } = ctx.outcome
  const relayed = upstream !== undefined && status !== undefined && upstreamHeadersMs !== undefined ? { upstream, status, durationMs: round(upstreamHeadersMs) } : undefined
  // Most requests: one attempt, relayed, none failed.
  if (failures.length === 0) return relayed === undefined ? [] : [relayed]
  const attempts: RecordAttempt[] = failures.map((failure) =>
    typeof failure.reason === 'number'
      ? { upstream: failure.upstream, status: failure.reason, durationMs: round(failure.durationMs) }
      : { upstream: failure.upstream, error: failure.reason, durationMs: round(failure.durationMs) },
  )
  // The relayed attempt, in its place; a stream that broke after it is listed again with its failure.
  if (relayed !== undefined) attempts.splice(failuresBeforeRelay, 0, relayed)
  return attempts
}

function contentOf(ctx: RelayContext): RecordContent {
  const content: RecordContent = {}
  if (ctx.json !== undefined) content.request = ctx.json
  const completion = ctx.usageMeter?.assembler?.result()
  const choice = completion?.choices[0]
  if (choice !== undefined) {
    if (choice.message.content !== null) content.response = choice.message.content
    if (choice.message.tool_calls !== undefined) content.toolCalls = choice.message.tool_calls
  } else {
    const text = ctx.usageMeter?.generatedText()
    if (text) content.response = text
  }
  if (ctx.runtime.config.records.headers) content.headers = redactHeaders(ctx.request.headers)
  return content
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
