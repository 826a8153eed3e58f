import { errors, type Dispatcher } from 'undici'
import type { ChatRequest } from '../../chat/request.js'
import { RelayError } from '../../errors.js'
import { sendUpstreamError, sendWholeAnswer } from '../../http/respond.js'
import type { AttemptRequest, PreparedAttempt, UpstreamError } from '../../providers/index.js'
import { generates } from '../../routing/endpoint.js'
import { judgeStatus, parseRetryAfter } from '../../routing/failover.js'
import { upstreamModelOf, type CompiledUpstream } from '../../routing/route-table.js'
import { chooseCredential } from '../../upstream/credentials.js'
import { classifyTransportError, describeFailure, isTimeout } from '../../upstream/errors.js'
import { UpstreamExchange, type AnswerStart, type Exchange } from '../../upstream/exchange.js'
import { outboundHeaders } from '../../upstream/headers.js'
import { readErrorBody } from '../../upstream/read-error.js'
import { relayAnswer } from '../../upstream/relay.js'
import type { RelayContext } from '../context.js'

/** `key-refused`: failed, but another key of the same upstream is free to try. `refused`: the upstream's provider cannot take this request. */
type AttemptResult = 'relayed' | 'failed' | 'key-refused' | 'client-gone' | RelayError

/**
 * Tries the candidates in order until one gives an answer worth relaying. Each attempt sends the
 * request as the upstream's provider wants it (the same bytes for OpenAI-compatible upstreams, a
 * translated request for others), so one route can fail over across providers. Nothing reaches the
 * client before an answer is chosen, so switching upstream can never mix two answers. Attempts and
 * the time until headers are both bounded. This loop is ours: undici's retry handler only retries
 * idempotent methods.
 */
export async function forwardWithFailover(ctx: RelayContext): Promise<undefined> {
  const { candidates } = ctx
  const failover = ctx.runtime.config.failover
  const maxAttempts = failover.maxAttempts ?? candidates.length
  const deadline = Date.now() + failover.totalTimeout
  // Upstreams whose Retry-After is longer than we wait out (failover.maxRetryAfter): not asked again by this
  // request. (When only one of several keys was rate-limited the upstream is not cooling: another key is tried.)
  let resting: Set<CompiledUpstream> | undefined
  // Upstreams whose provider cannot take this request (n > 1, images, ...): skipped, and the reason kept.
  let refusals: Map<CompiledUpstream, RelayError> | undefined
  let round = 0
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const upstream = candidates[attempt % candidates.length]!
    if (resting?.has(upstream) || refusals?.has(upstream)) continue
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
    if (result instanceof RelayError) {
      ;(refusals ??= new Map()).set(upstream, result)
      continue
    }
    const retryAfter = ctx.outcome.failures.at(-1)?.retryAfterMs
    if (retryAfter !== undefined && retryAfter > failover.maxRetryAfter && ctx.runtime.health.isCooling(upstream.id)) (resting ??= new Set()).add(upstream)
  }
  // No upstream was tried because none could take the request: why the first could not.
  if (ctx.outcome.failures.length === 0 && refusals !== undefined) throw refusals.values().next().value!
  throw finalError(ctx)
}

/**
 * The client's request as `upstream` gets it: its model renamed by the upstream's model map, the
 * usage-asking body where allowed, and the canonical form read from the client's dialect on first
 * need (`read.chat`, kept for the fields the dialect's reader left out).
 */
function attemptRequest(ctx: RelayContext, upstream: CompiledUpstream): { request: AttemptRequest; read: { chat?: ChatRequest } } {
  const model = upstreamModelOf(upstream, ctx.model)
  const askUsage = ctx.bodyAskingUsage !== undefined && upstream.streamUsage
  const json = ctx.json
  const read: { chat?: ChatRequest } = {}
  const { headers } = ctx.request
  const request: AttemptRequest = {
    method: ctx.method,
    rest: ctx.rest,
    endpoint: ctx.endpoint,
    json: askUsage ? ctx.jsonAskingUsage : json,
    body: askUsage ? ctx.bodyAskingUsage : ctx.body,
    stream: ctx.stream,
    model,
    dialect: generates(ctx.endpoint) || ctx.endpoint === 'count_tokens' ? ctx.dialect.name : undefined,
    chat: () => (read.chat ??= ctx.dialect.readRequest(json ?? {}, model ?? '')),
    clientHeader: (name) => {
      const value = headers[name]
      return Array.isArray(value) ? value.join(',') : value
    },
  }
  return { request, read }
}

async function attemptOnce(ctx: RelayContext, upstream: CompiledUpstream, remainingMs: number): Promise<AttemptResult> {
  const { runtime, outcome } = ctx
  const { request, read } = attemptRequest(ctx, upstream)
  let prepared: PreparedAttempt
  try {
    prepared = upstream.provider.prepare(request, upstream)
  } catch (error) {
    // A request this provider cannot take (400) or an endpoint it does not serve: another upstream may.
    if (error instanceof RelayError && error.status < 500) return inClientTerms(error, read.chat?.clientNames)
    throw error
  }
  // What the client's dialect had no other API's place for is named as dropped, beside the provider's own, each as the client called it.
  const names = read.chat?.clientNames
  const providerDropped = names === undefined || prepared.dropped === undefined ? prepared.dropped : prepared.dropped.map((field) => names[field] ?? field)
  const dropped = read.chat?.dropped !== undefined && read.chat.dropped.length > 0 ? [...read.chat.dropped, ...(providerDropped ?? [])] : providerDropped
  const credential = chooseCredential(upstream, ctx.identity, runtime.clients)
  const headers = outboundHeaders(ctx.request.headers, {
    keepHeaders: upstream.keepHeaders,
    identityEncoding: ctx.route.type === 'openai',
    withhold: credential.withholdClient ? upstream.provider.credentialHeaders : undefined,
  })
  for (const [name, value] of upstream.extraHeaders) headers[name] = value
  if (prepared.headers !== undefined) Object.assign(headers, prepared.headers)
  const key = credential.ring?.keyAt(credential.index)
  if (key !== undefined) upstream.provider.setKey(headers, key)
  const health = runtime.health.get(upstream.id)
  const timeout = ctx.stream ? upstream.timeouts.streamHeaders : upstream.timeouts.headers
  outcome.attempts++
  health.inflight++
  // undici times headersTimeout with its coarse clock (~0.5 s ticks, lib/util/timers.js): a 200 ms limit
  // fired after up to a second, so slower answers got through. The wait for headers is timed here instead.
  const attemptStartedAt = performance.now()
  const dispatchOptions: Dispatcher.DispatchOptions = { origin: upstream.origin, path: prepared.path, method: prepared.method as Dispatcher.HttpMethod, headers, body: prepared.body }
  const dispatch = (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => runtime.dispatcher.dispatch(options, handler)
  let exchange: Exchange
  if (prepared.exchange !== undefined) {
    exchange = prepared.exchange(dispatch, dispatchOptions)
  } else {
    const single = new UpstreamExchange()
    exchange = single
    try {
      dispatch(dispatchOptions, single)
    } catch (error) {
      // undici refuses some requests synchronously (e.g. a header value it will not send); treat it as this attempt failing.
      single.abort(error as Error)
    }
  }
  ctx.cancelOnDisconnect = exchange
  let headersTimedOut = false
  // A timeout of 0 means no per-attempt limit; failover.totalTimeout still bounds the wait.
  const waitMs = timeout > 0 ? Math.min(timeout, remainingMs) : remainingMs
  const headersTimer = setTimeout(() => {
    headersTimedOut = true
    exchange.abort(new errors.HeadersTimeoutError())
  }, waitMs)
  let answer: AnswerStart
  try {
    answer = await exchange.started
  } catch (error) {
    clearTimeout(headersTimer)
    health.inflight--
    const failure = headersTimedOut && !ctx.clientGone ? 'headers-timeout' : classifyTransportError(error)
    if (failure === 'client-gone' || ctx.clientGone) return 'client-gone'
    runtime.health.failed(upstream.id, describeFailure(failure))
    outcome.failures.push({ upstream: upstream.name, reason: failure, timeout: isTimeout(failure), durationMs: performance.now() - attemptStartedAt })
    runtime.logger.warn({ requestId: ctx.id, upstream: upstream.name, failure, err: error }, 'upstream attempt failed')
    return 'failed'
  }

  const rawStatus = answer.statusCode
  // A translated provider's error (or one relayed as it came in another dialect than OpenAI's) is read, a
  // small body, to learn what it means in OpenAI's terms; the headers timer keeps running meanwhile, so a
  // body that never ends fails the attempt in time.
  const errorReader = prepared.answer ?? prepared.reader
  let translatedError: UpstreamError | undefined
  let errorBody: Buffer | undefined
  if (rawStatus >= 400 && errorReader !== undefined) {
    const body = await readErrorBody(exchange)
    if (body === undefined) {
      clearTimeout(headersTimer)
      health.inflight--
      if (ctx.clientGone) return 'client-gone'
      const failure = headersTimedOut ? 'headers-timeout' : 'reset'
      runtime.health.failed(upstream.id, describeFailure(failure))
      outcome.failures.push({ upstream: upstream.name, reason: failure, timeout: isTimeout(failure), durationMs: performance.now() - attemptStartedAt })
      return 'failed'
    }
    errorBody = body
    translatedError = errorReader.error(rawStatus, answer.headers, body)
  }
  clearTimeout(headersTimer)
  const status = translatedError?.status ?? rawStatus
  const verdict = judgeStatus(status, credential.ownKey)
  const retryAfter = translatedError !== undefined ? translatedError.retryAfterMs : parseRetryAfter(answer.headers['retry-after'])
  if (verdict !== 'relay') {
    health.inflight--
    // Read and drop the error body so the connection returns to the pool.
    if (translatedError === undefined) exchange.drain()
    if (verdict === 'next-key' && credential.ring !== undefined) {
      credential.ring.rest(credential.index, Date.now() + (retryAfter ?? runtime.config.failover.cooldown.duration))
    }
    if (verdict === 'next-upstream' || (credential.ring?.size ?? 0) <= 1) runtime.health.failed(upstream.id, `HTTP ${rawStatus}`, retryAfter)
    outcome.failures.push({ upstream: upstream.name, reason: rawStatus, status, timeout: false, retryAfterMs: retryAfter, durationMs: performance.now() - attemptStartedAt })
    runtime.logger.warn({ requestId: ctx.id, upstream: upstream.name, status: rawStatus }, 'upstream answered with a failure')
    // Only the upstream's own keys: a forward-key level's keys serve every upstream, so the next upstream gets the next one.
    return verdict === 'next-key' && credential.ring === upstream.keys && upstream.keys.hasFreeKey() ? 'key-refused' : 'failed'
  }

  if (status < 400) runtime.health.succeeded(upstream.id)
  ctx.hideStreamUsage = prepared.answer === undefined && request.body === ctx.bodyAskingUsage && ctx.bodyAskingUsage !== undefined
  outcome.upstreamHeadersMs = performance.now() - attemptStartedAt
  outcome.failuresBeforeRelay = outcome.failures.length
  outcome.status = status
  outcome.upstream = upstream.name
  outcome.provider = upstream.provider.name
  if (request.model !== ctx.model) outcome.upstreamModel = request.model
  if (dropped !== undefined && dropped.length > 0) ctx.addResponseHeaders({ 'x-relay-dropped-params': dropped.join(', ') })
  try {
    if (translatedError !== undefined && prepared.answer !== undefined) sendUpstreamError(ctx, { ...translatedError, message: redacted(translatedError.message, key), param: translatedError.param ?? null }, translatedError.retryAfterMs)
    else if (errorBody !== undefined) sendRawError(ctx, rawStatus, answer, errorBody, key)
    else await relayAnswer(ctx, upstream.name, exchange, answer, upstream.timeouts.idle, prepared)
  } finally {
    health.inflight--
  }
  return 'relayed'
}

/**
 * A provider's refusal of a field, named as the client sent it: a provider names the canonical
 * (OpenAI chat) field, `response_format`, which a Responses client sent as `text.format`. Paths into
 * the conversation (`messages[2]...`) are the canonical list's and stay as they are.
 */
function inClientTerms(error: RelayError, names: Readonly<Record<string, string>> | undefined): RelayError {
  const renamed = error.param === undefined ? undefined : names?.[error.param]
  if (renamed === undefined) return error
  return new RelayError(error.code, error.message.replaceAll(`'${error.param}'`, `'${renamed}'`), { param: renamed, ...(error.headers !== undefined && { headers: error.headers }) })
}

/** The upstream key is never shown, should an upstream's error message echo it. */
function redacted(text: string, key: string | undefined): string {
  return key === undefined || key === '' ? text : text.replaceAll(key, '[redacted]')
}

/** An error of an upstream that speaks the client's dialect, read to judge it and relayed as it came (its key redacted). */
function sendRawError(ctx: RelayContext, status: number, answer: AnswerStart, body: Buffer, key: string | undefined): void {
  const headers: Record<string, string> = {}
  for (const name of ['content-type', 'retry-after', 'request-id', 'x-should-retry']) {
    const value = answer.headers[name]
    if (typeof value === 'string') headers[name] = value
  }
  const text = body.toString('utf8')
  sendWholeAnswer(ctx, status, headers, key !== undefined && key !== '' && text.includes(key) ? redacted(text, key) : body)
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

/** All attempts failed: 504 when every failure was a timeout, 429 when every one was a rate limit, 503 when every one was an overload, else 502. */
function finalError(ctx: RelayContext): RelayError {
  const { failures } = ctx.outcome
  const summary = failures.map((failure) => `${failure.upstream} (${typeof failure.reason === 'number' ? `HTTP ${failure.reason}` : describeFailure(failure.reason)})`).join(', ')
  if (failures.length === 0) {
    return new RelayError('RELAY_ERR_UPSTREAM_TIMEOUT', 'The time allowed for upstream attempts ran out before any attempt could start.')
  }
  const message = `All ${failures.length} upstream attempt${failures.length === 1 ? '' : 's'} failed: ${summary}.`
  if (failures.every((failure) => failure.timeout)) return new RelayError('RELAY_ERR_UPSTREAM_TIMEOUT', message)
  const statusOf = (failure: (typeof failures)[number]) => failure.status ?? failure.reason
  const waits = failures.map((failure) => failure.retryAfterMs).filter((wait): wait is number => wait !== undefined)
  const headers = waits.length > 0 ? { headers: { 'retry-after': String(Math.ceil(Math.min(...waits) / 1000)) } } : {}
  if (failures.every((failure) => statusOf(failure) === 429)) return new RelayError('RELAY_ERR_UPSTREAMS_RATE_LIMITED', message, headers)
  if (failures.every((failure) => statusOf(failure) === 503)) return new RelayError('RELAY_ERR_UPSTREAM_OVERLOADED', message, headers)
  return new RelayError('RELAY_ERR_UPSTREAM_FAILED', message)
}
