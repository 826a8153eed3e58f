import { errors, type Dispatcher } from 'undici'
import { RelayError } from '../../errors.js'
import { judgeStatus, parseRetryAfter } from '../../routing/failover.js'
import type { CompiledUpstream } from '../../routing/route-table.js'
import { chooseCredential } from '../../upstream/credentials.js'
import { classifyTransportError, describeFailure, isTimeout } from '../../upstream/errors.js'
import { UpstreamExchange, type AnswerStart } from '../../upstream/exchange.js'
import { outboundHeaders } from '../../upstream/headers.js'
import { relayAnswer } from '../../upstream/relay.js'
import type { RelayContext } from '../context.js'

/** `key-refused`: failed, but another key of the same upstream is free to try. */
type AttemptResult = 'relayed' | 'failed' | 'key-refused' | 'client-gone'

/**
 * Tries the candidates in order until one gives an answer worth relaying. Every attempt sends the
 * same request bytes. Nothing reaches the client before an answer is chosen, so switching
 * upstream can never mix two answers. Attempts and the time until headers are both bounded.
 * This loop is ours: undici's retry handler only retries idempotent methods.
 */
export async function forwardWithFailover(ctx: RelayContext): Promise<undefined> {
  const { candidates } = ctx
  const failover = ctx.runtime.config.failover
  const maxAttempts = failover.maxAttempts ?? candidates.length
  const deadline = Date.now() + failover.totalTimeout
  // Upstreams whose Retry-After is longer than we wait out (failover.maxRetryAfter): not asked again by this
  // request. (When only one of several keys was rate-limited the upstream is not cooling: another key is tried.)
  let resting: Set<CompiledUpstream> | undefined
  let round = 0
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const upstream = candidates[attempt % candidates.length]!
    if (resting?.has(upstream)) continue
    if (attempt >= (round + 1) * candidates.length) {
      // Every candidate failed once: back off before the next round (200 ms, 400 ms, ...).
      round = Math.floor(attempt / candidates.length)
      const wait = Math.min(roundWait(ctx, upstream, round), Math.max(0, deadline - Date.now()))
      if (!(await waitUnlessClientLeaves(ctx, wait))) return
    }
    const remaining = deadline - Date.now()
    if (remaining <= 0) break
    let result = await attemptOnce(ctx, upstream, remaining)
    // A refused or rate-limited key says nothing about the upstream: its other keys are tried first.
    // Each refusal rests a key, so this ends when the upstream's keys do.
    while (result === 'key-refused' && deadline > Date.now()) result = await attemptOnce(ctx, upstream, deadline - Date.now())
    if (result === 'relayed' || result === 'client-gone') return
    const retryAfter = ctx.outcome.failures.at(-1)?.retryAfterMs
    if (retryAfter !== undefined && retryAfter > failover.maxRetryAfter && ctx.runtime.health.isCooling(upstream.id)) (resting ??= new Set()).add(upstream)
  }
  throw finalError(ctx)
}

async function attemptOnce(ctx: RelayContext, upstream: CompiledUpstream, remainingMs: number): Promise<AttemptResult> {
  const { runtime, outcome } = ctx
  const credential = chooseCredential(upstream, ctx.identity, runtime.clients)
  const headers = outboundHeaders(ctx.request.headers, {
    keepHeaders: upstream.keepHeaders,
    identityEncoding: ctx.route.type === 'openai',
    withhold: credential.withholdClient ? upstream.adapter.credentialHeaders : undefined,
  })
  for (const [name, value] of upstream.extraHeaders) headers[name] = value
  if (credential.ring !== undefined) upstream.adapter.setKey(headers, credential.ring.keyAt(credential.index))
  // A stream whose usage is needed asks for it, where the upstream allows (ask-stream-usage stage).
  const body = ctx.bodyAskingUsage !== undefined && upstream.streamUsage ? ctx.bodyAskingUsage : (ctx.body ?? null)
  const health = runtime.health.get(upstream.id)
  const timeout = ctx.stream ? upstream.timeouts.streamHeaders : upstream.timeouts.headers
  outcome.attempts++
  health.inflight++
  // undici times headersTimeout with its coarse clock (~0.5 s ticks, lib/util/timers.js): a 200 ms limit
  // fired after up to a second, so slower answers got through. The wait for headers is timed here instead.
  const attemptStartedAt = performance.now()
  const exchange = new UpstreamExchange()
  ctx.cancelOnDisconnect = exchange
  let headersTimedOut = false
  // A timeout of 0 means no per-attempt limit; failover.totalTimeout still bounds the wait.
  const headersTimer = setTimeout(() => {
    headersTimedOut = true
    exchange.abort(new errors.HeadersTimeoutError())
  }, timeout > 0 ? Math.min(timeout, remainingMs) : remainingMs)
  try {
    runtime.dispatcher.dispatch(
      { origin: upstream.origin, path: upstreamPath(upstream, ctx.rest), method: ctx.method as Dispatcher.HttpMethod, headers, body },
      exchange,
    )
  } catch (error) {
    // undici refuses some requests synchronously (e.g. a header value it will not send); treat it as this attempt failing.
    exchange.abort(error as Error)
  }
  let answer: AnswerStart
  try {
    answer = await exchange.started
  } catch (error) {
    health.inflight--
    const failure = headersTimedOut && !ctx.clientGone ? 'headers-timeout' : classifyTransportError(error)
    if (failure === 'client-gone' || ctx.clientGone) return 'client-gone'
    runtime.health.failed(upstream.id, describeFailure(failure))
    outcome.failures.push({ upstream: upstream.name, reason: failure, timeout: isTimeout(failure), durationMs: performance.now() - attemptStartedAt })
    runtime.logger.warn({ requestId: ctx.id, upstream: upstream.name, failure, err: error }, 'upstream attempt failed')
    return 'failed'
  } finally {
    clearTimeout(headersTimer)
  }

  const status = answer.statusCode
  const verdict = judgeStatus(status, credential.ownKey)
  if (verdict !== 'relay') {
    health.inflight--
    // Read and drop the error body so the connection returns to the pool.
    exchange.drain()
    const retryAfter = parseRetryAfter(answer.headers['retry-after'])
    if (verdict === 'next-key' && credential.ring !== undefined) {
      credential.ring.rest(credential.index, Date.now() + (retryAfter ?? runtime.config.failover.cooldown.duration))
    }
    if (verdict === 'next-upstream' || (credential.ring?.size ?? 0) <= 1) runtime.health.failed(upstream.id, `HTTP ${status}`, retryAfter)
    outcome.failures.push({ upstream: upstream.name, reason: status, timeout: false, retryAfterMs: retryAfter, durationMs: performance.now() - attemptStartedAt })
    runtime.logger.warn({ requestId: ctx.id, upstream: upstream.name, status }, 'upstream answered with a failure')
    // Only the upstream's own keys: a forward-key level's keys serve every upstream, so the next upstream gets the next one.
    return verdict === 'next-key' && credential.ring === upstream.keys && upstream.keys.hasFreeKey() ? 'key-refused' : 'failed'
  }

  if (status < 400) runtime.health.succeeded(upstream.id)
  ctx.hideStreamUsage = body === ctx.bodyAskingUsage
  outcome.upstreamHeadersMs = performance.now() - attemptStartedAt
  outcome.failuresBeforeRelay = outcome.failures.length
  outcome.status = status
  outcome.upstream = upstream.name
  try {
    await relayAnswer(ctx, upstream.name, exchange, answer, upstream.timeouts.idle)
  } finally {
    health.inflight--
  }
  return 'relayed'
}

/** Sleeps `ms`; resolves false at once if the client leaves meanwhile. */
function waitUnlessClientLeaves(ctx: RelayContext, ms: number): Promise<boolean> {
  if (ctx.clientGone) return Promise.resolve(false)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms)
    ctx.cancelOnDisconnect = {
      cancel() {
        clearTimeout(timer)
        resolve(false)
      },
    }
  })
}

/** Backoff between rounds; a Retry-After of the next upstream is waited out when it is within failover.maxRetryAfter. */
function roundWait(ctx: RelayContext, upstream: CompiledUpstream, round: number): number {
  const backoff = 200 * 2 ** (round - 1)
  const coolingFor = ctx.runtime.health.get(upstream.id).coolingUntil - Date.now()
  return coolingFor > 0 && coolingFor <= ctx.runtime.config.failover.maxRetryAfter ? Math.max(backoff, coolingFor) : backoff
}

/** Base path + the path after the route prefix (always starting with "/"), the upstream URL's own query first. */
function upstreamPath(upstream: CompiledUpstream, rest: string): string {
  let path = upstream.basePath + rest
  if (path.charCodeAt(0) !== 47 /* / */) path = `/${path}`
  if (upstream.baseQuery === '') return path
  const queryStart = path.indexOf('?')
  return queryStart === -1 ? `${path}?${upstream.baseQuery}` : `${path.slice(0, queryStart + 1)}${upstream.baseQuery}&${path.slice(queryStart + 1)}`
}

/** All attempts failed: 504 when every failure was a timeout, 429 when every one was a rate limit, else 502. */
function finalError(ctx: RelayContext): RelayError {
  const { failures } = ctx.outcome
  const summary = failures.map((failure) => `${failure.upstream} (${typeof failure.reason === 'number' ? `HTTP ${failure.reason}` : describeFailure(failure.reason)})`).join(', ')
  if (failures.length === 0) {
    return new RelayError('RELAY_ERR_UPSTREAM_TIMEOUT', 'The time allowed for upstream attempts ran out before any attempt could start.')
  }
  const message = `All ${failures.length} upstream attempt${failures.length === 1 ? '' : 's'} failed: ${summary}.`
  if (failures.every((failure) => failure.timeout)) return new RelayError('RELAY_ERR_UPSTREAM_TIMEOUT', message)
  if (failures.every((failure) => failure.reason === 429)) {
    const waits = failures.map((failure) => failure.retryAfterMs).filter((wait): wait is number => wait !== undefined)
    const headers = waits.length > 0 ? { 'retry-after': String(Math.ceil(Math.min(...waits) / 1000)) } : undefined
    return new RelayError('RELAY_ERR_UPSTREAMS_RATE_LIMITED', message, headers ? { headers } : {})
  }
  return new RelayError('RELAY_ERR_UPSTREAM_FAILED', message)
}
