import { errors } from 'undici'
import { RelayError } from '../errors.js'
import { StreamPacer } from '../limits/stream-pacing.js'
import type { RelayContext } from '../pipeline/context.js'
import { classifyTransportError, describeFailure, isTimeout } from './errors.js'
import type { AnswerStart, UpstreamExchange } from './exchange.js'
import { clientResponseHeaders } from './headers.js'

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
  res.writeHead(answer.statusCode, clientResponseHeaders(answer.headers, ctx.runtime.corsOrigin, ctx.id, ctx.responseHeaders))
  // Headers go out now, so a client sees the stream start before its first event.
  if (isEventStream) res.flushHeaders()

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
    res.once('close', () => {
      clearTimeout(idleTimer)
      pacer?.stop()
      if (!res.writableFinished) exchange.cancel()
      resolve()
    })
    exchange.attach({
      data(chunk) {
        idleTimer?.refresh()
        if (pacer !== undefined) return pacer.push(chunk)
        if (res.write(chunk)) return true
        res.once('drain', resume)
        return false
      },
      end() {
        clearTimeout(idleTimer)
        if (pacer !== undefined) pacer.finish(true, () => endAnswer(ctx))
        else endAnswer(ctx)
      },
      error(error) {
        clearTimeout(idleTimer)
        if (ctx.clientGone) return
        const failure = classifyTransportError(error)
        ctx.outcome.failures.push({ upstream: upstreamName, reason: failure, timeout: isTimeout(failure) })
        const relayError = new RelayError('RELAY_ERR_UPSTREAM_STREAM_BROKEN', `The upstream answer broke off: ${describeFailure(failure)}.`, { cause: error })
        ctx.outcome.error = relayError
        // A paced stream first writes the complete events it holds, at their pace.
        if (pacer !== undefined) pacer.finish(false, () => breakAnswer(ctx, isEventStream, relayError))
        else breakAnswer(ctx, isEventStream, relayError)
      },
    })
  })
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
