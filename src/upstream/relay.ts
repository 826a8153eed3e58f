import { errors } from 'undici'
import { withoutNullUsage } from '../answers/stream-usage.js'
import { OpenAIAnswerTap } from '../dialects/openai-chat/tap.js'
import { RelayError } from '../errors.js'
import type { ClientError } from '../dialects/index.js'
import { sendErrorAnswer, sendUpstreamError, writeAnswerHead } from '../http/respond.js'
import { clientErrorOf } from '../http/send-error.js'
import { StreamPacer } from '../limits/stream-pacing.js'
import type { RelayContext } from '../pipeline/context.js'
import type { PreparedAttempt } from '../providers/index.js'
import { classifyTransportError, describeFailure, isTimeout } from './errors.js'
import type { AnswerSink, AnswerStart, Exchange } from './exchange.js'
import { ModelRenamer } from './rename-model.js'
import { SseSplitter } from './sse.js'
import { translatingSink } from './translate.js'

/** What a sink needs of the relay: where its bytes go and how the answer ends. */
export interface RelayOutput {
  readonly ctx: RelayContext
  readonly upstreamName: string
  readonly exchange: Exchange
  /** Writes bytes to the client (through the pacer when there is one); false when the upstream should pause. */
  write(bytes: Buffer): boolean
  /** Ends the answer as complete, once everything written has gone out. */
  finish(): void
  /**
   * Ends the answer as broken: when it is a stream, the dialect's error event (or `events`, when a
   * writer of the client's dialect already wrote its own: then ''), then a cut connection; never a
   * made-up end of stream.
   */
  break(error: RelayError, events?: string): void
  /** A plain answer the upstream said inside it had failed, sent as an error answer in the client's dialect (nothing was sent yet). */
  refuse(error: ClientError, reason: string): void
  /** The body stalled or broke off: records the failure and breaks the answer (`errorEvents`: a writer of the client's dialect gives its own error events). */
  transportFailed(error: Error, errorEvents?: (error: RelayError) => string): void
  /** The idle timer: any sign of life from the upstream. */
  alive(): void
}

/**
 * Sends the chosen upstream answer to the client as it arrives: status and headers first, then each
 * body chunk as soon as it comes (SSE included), with backpressure. Resolves when the client side
 * closes. An answer in OpenAI's format passes as it comes (passthroughSink); one a provider
 * translates is read into the answer stream and written anew for the client (upstream/translate.ts).
 * If the upstream breaks mid-answer the client's stream ends as an error: an SSE error event, then a
 * cut connection; never a made-up [DONE]. A stream on a route with a `streamPacing` rule goes out
 * event by event, no faster than the rule's gap.
 */
export function relayAnswer(ctx: RelayContext, upstreamName: string, exchange: Exchange, answer: AnswerStart, idleTimeoutMs: number, prepared: PreparedAttempt): Promise<void> {
  const res = ctx.response
  const translation = prepared.answer
  const contentType = answer.headers['content-type']
  // A translated answer is a stream when the client asked for one; another is what the upstream says it is.
  const isEventStream = translation !== undefined ? ctx.stream : typeof contentType === 'string' && contentType.includes('text/event-stream')
  // An answer relayed as it comes names the upstream's model: the client's name is put back when a model map renamed it.
  const renamer = translation === undefined && ctx.outcome.upstreamModel !== undefined && ctx.model !== undefined ? new ModelRenamer(ctx.outcome.upstreamModel, ctx.model) : undefined
  // A translated plain answer's head waits for the whole answer (its length and whether it could be read).
  if (translation === undefined) writeAnswerHead(ctx, answer.statusCode, renamer === undefined ? answer.headers : withoutLength(answer.headers))
  else if (isEventStream) writeAnswerHead(ctx, answer.statusCode, translatedHeaders(answer.headers, 'text/event-stream; charset=utf-8'))
  // Headers go out now, so a client sees the stream start before its first event.
  if (isEventStream) res.flushHeaders()

  const fill = ctx.cacheFill
  if (fill !== undefined) {
    fill.status = answer.statusCode
    fill.contentType = translation !== undefined ? (isEventStream ? 'text/event-stream' : 'application/json') : typeof contentType === 'string' ? contentType : undefined
  }
  const copy = fill?.copy
  // Only a stream on a paced route gets a pacer; every other answer keeps the direct path below.
  const gapMs = isEventStream ? (ctx.runtime.streamPacing?.gapFor(ctx) ?? 0) : 0

  return new Promise<void>((resolve) => {
    // Timed here rather than by undici's bodyTimeout, whose ~0.5 s clock ticks make short limits fire late. 0 = no limit.
    const idleTimer = idleTimeoutMs > 0 ? setTimeout(() => exchange.abort(new errors.BodyTimeoutError()), idleTimeoutMs) : undefined
    const resume = () => {
      idleTimer?.refresh()
      exchange.resume()
    }
    // While the pacer holds the upstream paused the wait is ours: its writes keep the idle timer from firing.
    const pacer = gapMs > 0 ? new StreamPacer(gapMs, res, { room: resume, heldProgress: () => idleTimer?.refresh() }) : undefined
    let awaitingDrain = false
    const drained = () => {
      awaitingDrain = false
      resume()
    }
    // Everything written has been handed over; `last` runs once a paced queue has drained too.
    const flushThen = (last: () => void) => (pacer !== undefined ? pacer.finish(last) : last())
    const output: RelayOutput = {
      ctx,
      upstreamName,
      exchange,
      write(bytes) {
        ctx.firstByteAt ??= performance.now()
        copy?.push(bytes)
        if (pacer !== undefined) return pacer.push(bytes)
        if (res.write(bytes)) return true
        // One chunk may hold several events: the upstream is resumed once, at the drain.
        if (!awaitingDrain) {
          awaitingDrain = true
          res.once('drain', drained)
        }
        return false
      },
      finish() {
        clearTimeout(idleTimer)
        flushThen(() => {
          ctx.outcome.completed = true
          res.end()
        })
      },
      break(relayError, events) {
        clearTimeout(idleTimer)
        ctx.outcome.error = relayError
        // A translated plain answer that could not be read: nothing was sent yet, so the client gets the error as an answer.
        if (!res.headersSent) {
          if (!res.destroyed) sendErrorAnswer(ctx, relayError)
          return
        }
        // A paced stream first writes the complete events it holds, at their pace.
        flushThen(() => breakAnswer(ctx, isEventStream, events ?? ctx.dialect.streamError(clientErrorOf(relayError, ctx.id))))
      },
      refuse(error, reason) {
        clearTimeout(idleTimer)
        // A 4xx is the request's fault, relayed as a passthrough upstream's 4xx would be: not a failure of the gateway's.
        if (error.status >= 500) ctx.outcome.error = new RelayError('RELAY_ERR_UPSTREAM_FAILED', reason)
        if (res.headersSent || res.destroyed) return
        sendUpstreamError(ctx, error, undefined)
        ctx.outcome.completed = false
      },
      transportFailed(error, errorEvents) {
        clearTimeout(idleTimer)
        if (ctx.clientGone) return
        const failure = classifyTransportError(error)
        ctx.outcome.failures.push({ upstream: upstreamName, reason: failure, timeout: isTimeout(failure), durationMs: performance.now() - (ctx.headersAt ?? ctx.startedAt) })
        const broken = new RelayError('RELAY_ERR_UPSTREAM_STREAM_BROKEN', `The upstream answer broke off: ${describeFailure(failure)}.`, { cause: error })
        output.break(broken, errorEvents !== undefined && res.headersSent ? errorEvents(broken) : undefined)
      },
      alive: () => idleTimer?.refresh(),
    }
    if (isEventStream) ctx.runtime.metrics.streamsInFlight.inc()
    res.once('close', () => {
      if (isEventStream) ctx.runtime.metrics.streamsInFlight.dec()
      clearTimeout(idleTimer)
      pacer?.stop()
      if (!res.writableFinished) exchange.cancel()
      resolve()
    })
    exchange.attach(
      translation !== undefined
        ? translatingSink(output, translation, answer, isEventStream)
        : passthroughSink(output, prepared, isEventStream, gapMs > 0, typeof contentType === 'string' && contentType.includes('json'), renamer),
    )
  })
}

/**
 * An answer in OpenAI's own format, relayed as it comes: chunks pass as they are, unless something
 * needs whole events (pacing, the usage meter, usage the gateway asked for and hides again, an event
 * the provider adds that clients cannot read).
 */
function passthroughSink(output: RelayOutput, prepared: PreparedAttempt, isEventStream: boolean, paced: boolean, isJson: boolean, renamer: ModelRenamer | undefined): AnswerSink {
  const { ctx } = output
  const meter = ctx.usageMeter
  // Usage is read from streams and JSON answers; other bodies (audio, files) cost no extra work.
  const reads = meter !== undefined && (isEventStream || isJson)
  // An answer in another dialect than OpenAI's (Anthropic's to an Anthropic client) is read by its provider's decoder, as it passes.
  const native = reads && prepared.reader !== undefined ? prepared.reader.decoder({ stream: isEventStream, listener: meter, fail: () => undefined }) : undefined
  const tap = reads && native === undefined ? new OpenAIAnswerTap(meter) : undefined
  const byEvent = isEventStream && (paced || tap !== undefined || ctx.hideStreamUsage || prepared.dropEvent !== undefined)
  const events = byEvent ? new EventRelay(ctx, tap, prepared.dropEvent, output.write) : undefined
  const pass = (chunk: Buffer): boolean => {
    if (events !== undefined) return events.push(chunk)
    tap?.chunk(chunk)
    return output.write(chunk)
  }
  return {
    data(chunk) {
      output.alive()
      native?.push(chunk)
      return pass(renamer === undefined ? chunk : renamer.push(chunk))
    },
    end() {
      const kept = renamer?.end()
      if (kept !== undefined) pass(kept)
      // A clean end also sends a trailing event that lacked its blank line.
      events?.finish(true)
      if (!isEventStream) tap?.end()
      native?.end()
      output.finish()
    },
    error(error) {
      events?.finish(false)
      output.transportFailed(error)
    },
  }
}

/**
 * A stream relayed event by event: each whole event is shown to the usage meter, stripped of the
 * usage the gateway asked for on its own, then written (or queued by the pacer).
 */
class EventRelay {
  private readonly splitter = new SseSplitter()

  constructor(
    private readonly ctx: RelayContext,
    private readonly tap: OpenAIAnswerTap | undefined,
    private readonly drop: ((event: Buffer) => boolean) | undefined,
    private readonly write: (event: Buffer) => boolean,
  ) {}

  /** False when the client (or the pacer) needs the upstream paused. */
  push(chunk: Buffer): boolean {
    let writable = true
    for (const event of this.splitter.push(chunk)) writable = this.relay(event) && writable
    return writable
  }

  /** The upstream ended; after a clean end a last event without its blank line still goes out. */
  finish(complete: boolean): void {
    const rest = this.splitter.rest()
    if (complete && rest !== undefined) this.relay(rest)
  }

  private relay(event: Buffer): boolean {
    if (this.drop?.(event) === true) return true
    const usageOnly = this.tap?.event(event) ?? false
    if (!this.ctx.hideStreamUsage) return this.write(event)
    if (usageOnly) return true
    return this.write(withoutNullUsage(event))
  }
}

/** An upstream's headers without its content-length: the body is rewritten on the way. */
function withoutLength(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {}
  for (const name in headers) if (name !== 'content-length') out[name] = headers[name]
  return out
}

/** An upstream's headers on a translated answer: its content headers are of its own format, not the client's. */
export function translatedHeaders(upstream: Readonly<Record<string, string | string[] | undefined>>, contentType: string): Record<string, string | string[] | undefined> {
  const headers: Record<string, string | string[] | undefined> = {}
  for (const name in upstream) if (!name.startsWith('content-')) headers[name] = upstream[name]
  headers['content-type'] = contentType
  if (contentType.startsWith('text/event-stream')) headers['cache-control'] = 'no-cache'
  return headers
}

/** The dialect's SSE error event, then a cut connection; never a made-up end of stream. */
function breakAnswer(ctx: RelayContext, isEventStream: boolean, events: string): void {
  const res = ctx.response
  if (isEventStream && !res.destroyed && res.headersSent && events !== '') {
    res.write(events, () => res.destroy())
  } else {
    res.destroy()
  }
}
