import { errors } from 'undici'
import { withoutNullUsage } from '../answers/stream-usage.js'
import { OpenAIAnswerTap } from '../dialects/openai-chat/tap.js'
import { RelayError } from '../errors.js'
import { StreamPacer } from '../limits/stream-pacing.js'
import type { RelayContext } from '../pipeline/context.js'
import { classifyTransportError, describeFailure, isTimeout } from './errors.js'
import type { AnswerStart, UpstreamExchange } from './exchange.js'
import { writeAnswerHead } from '../http/respond.js'
import { SseSplitter } from './sse.js'

/**
 * Sends the chosen upstream answer to the client as it arrives: status and headers first, then each
 * body chunk as soon as it comes (SSE included), with backpressure. Resolves when the client side
 * closes. If the upstream breaks mid-answer the client's stream ends as an error: an SSE error
 * event, then a cut connection; never a made-up [DONE]. A stream on a route with a `streamPacing`
 * rule goes out event by event, no faster than the rule's gap.
 */
export function relayAnswer(ctx: RelayContext, upstreamName: string, exchange: UpstreamExchange, answer: AnswerStart, idleTimeoutMs: number): Promise<void> {
  const res = ctx.response
  const contentType = answer.headers['content-type']
  const isEventStream = typeof contentType === 'string' && contentType.includes('text/event-stream')
  writeAnswerHead(ctx, answer.statusCode, answer.headers)
  // Headers go out now, so a client sees the stream start before its first event.
  if (isEventStream) res.flushHeaders()

  const fill = ctx.cacheFill
  if (fill !== undefined) {
    fill.status = answer.statusCode
    fill.contentType = typeof contentType === 'string' ? contentType : undefined
  }
  const copy = fill?.copy
  // Only a stream on a paced route gets a pacer; every other answer keeps the direct path below.
  const gapMs = isEventStream ? (ctx.runtime.streamPacing?.gapFor(ctx) ?? 0) : 0
  // Usage is read from streams and JSON answers; other bodies (audio, files) cost no extra work.
  const meter = ctx.usageMeter
  const tap = meter !== undefined && (isEventStream || (typeof contentType === 'string' && contentType.includes('json'))) ? new OpenAIAnswerTap(meter) : undefined
  // A stream is cut into events only when something needs whole events; otherwise chunks pass as they come.
  const byEvent = isEventStream && (gapMs > 0 || tap !== undefined || ctx.hideStreamUsage)

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
    const write = (bytes: Buffer): boolean => {
      copy?.push(bytes)
      if (pacer !== undefined) return pacer.push(bytes)
      if (res.write(bytes)) return true
      // One chunk may hold several events: the upstream is resumed once, at the drain.
      if (!awaitingDrain) {
        awaitingDrain = true
        res.once('drain', drained)
      }
      return false
    }
    const events = byEvent ? new EventRelay(ctx, tap, write) : undefined
    // Everything written has been handed over; `last` runs once a paced queue has drained too.
    const flushThen = (last: () => void) => (pacer !== undefined ? pacer.finish(last) : last())
    if (isEventStream) ctx.runtime.metrics.streamsInFlight.inc()
    res.once('close', () => {
      if (isEventStream) ctx.runtime.metrics.streamsInFlight.dec()
      clearTimeout(idleTimer)
      pacer?.stop()
      if (!res.writableFinished) exchange.cancel()
      resolve()
    })
    exchange.attach({
      data(chunk) {
        idleTimer?.refresh()
        ctx.firstByteAt ??= performance.now()
        if (events !== undefined) return events.push(chunk)
        tap?.chunk(chunk)
        return write(chunk)
      },
      end() {
        clearTimeout(idleTimer)
        // A clean end also sends a trailing event that lacked its blank line.
        events?.finish(true)
        if (!isEventStream) tap?.end()
        flushThen(() => endAnswer(ctx))
      },
      error(error) {
        clearTimeout(idleTimer)
        events?.finish(false)
        if (ctx.clientGone) return
        const failure = classifyTransportError(error)
        ctx.outcome.failures.push({ upstream: upstreamName, reason: failure, timeout: isTimeout(failure), durationMs: performance.now() - (ctx.headersAt ?? ctx.startedAt) })
        const relayError = new RelayError('RELAY_ERR_UPSTREAM_STREAM_BROKEN', `The upstream answer broke off: ${describeFailure(failure)}.`, { cause: error })
        ctx.outcome.error = relayError
        // A paced stream first writes the complete events it holds, at their pace.
        flushThen(() => breakAnswer(ctx, isEventStream, relayError))
      },
    })
  })
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
    const usageOnly = this.tap?.event(event) ?? false
    if (!this.ctx.hideStreamUsage) return this.write(event)
    if (usageOnly) return true
    return this.write(withoutNullUsage(event))
  }
}

function endAnswer(ctx: RelayContext): void {
  ctx.outcome.completed = true
  ctx.response.end()
}

/** An SSE error event, then a cut connection; never a made-up [DONE]. */
function breakAnswer(ctx: RelayContext, isEventStream: boolean, relayError: RelayError): void {
  const res = ctx.response
  if (isEventStream && !res.destroyed) {
    res.write(`data: ${JSON.stringify(relayError.toBody())}\n\n`, () => res.destroy())
  } else {
    res.destroy()
  }
}
