import type { Watching } from '../../pipeline/watch.js'
import type { RequestRecord } from '../../records/record.js'
import type { Decision } from '../wire.js'

export type { Decision } from '../wire.js'

/** The decision read off the request's record (records/build.ts), the one the Requests page shows too. */
export function decisionOf(record: RequestRecord): Decision {
  const tokens =
    record.promptTokens !== undefined && record.completionTokens !== undefined && record.tokensSource !== undefined
      ? { prompt: record.promptTokens, completion: record.completionTokens, total: record.totalTokens ?? record.promptTokens + record.completionTokens, source: record.tokensSource }
      : null
  return {
    requestId: record.id,
    status: record.status,
    route: record.route ?? null,
    model: record.model ?? null,
    upstream: record.upstream ?? null,
    provider: record.provider ?? null,
    // The record names the upstream's model only when its map renamed the client's.
    upstreamModel: record.upstreamModel ?? (record.upstream !== undefined ? (record.model ?? null) : null),
    attempts: record.attempts.map((attempt) =>
      attempt.status !== undefined
        ? { upstream: attempt.upstream, status: attempt.status, durationMs: attempt.durationMs }
        : { upstream: attempt.upstream, reason: attempt.error ?? 'failed', durationMs: attempt.durationMs },
    ),
    cache: record.cache ?? null,
    tokens,
    firstByteMs: record.firstByteMs ?? null,
    totalMs: record.totalMs,
    error: record.error ?? null,
  }
}

/** The finish step hands the record over as soon as the request ends; past this something went wrong, and the answer goes without it. */
const DECISION_WAIT_MS = 5000

/** Waits (bounded) for the watched request's record; null when it did not come. */
export async function awaitDecision(watching: Watching): Promise<Decision | null> {
  const timer = setTimeout(() => watching.cancel(), DECISION_WAIT_MS)
  try {
    const record = await watching.record
    return record === undefined ? null : decisionOf(record)
  } finally {
    clearTimeout(timer)
  }
}
