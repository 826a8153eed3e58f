import { ChatAssembler, openaiUsage } from '../answers/chat-assembler.js'
import { finalUsage } from '../answers/final-usage.js'
import { fanOut, withHead, type AnswerListener } from '../answers/listener.js'
import { clientAskedStreamUsage } from '../answers/stream-usage.js'
import { RelayError } from '../errors.js'
import { writeAnswerHead } from '../http/respond.js'
import type { ClientError } from '../dialects/index.js'
import { clientErrorOf } from '../http/send-error.js'
import { estimatePromptTokens } from '../limits/token-count.js'
import type { AnswerTranslation, UpstreamError } from '../providers/index.js'
import type { AnswerSink, AnswerStart } from './exchange.js'
import type { RelayOutput } from './relay.js'
import { translatedHeaders } from './relay.js'

/**
 * The translating sink, in the manner of undici's decompress interceptor: it wraps the relay's
 * output only when the upstream's provider speaks another API than the client. The native answer's
 * bytes go to the provider's decoder, which reads them into the answer stream; the usage meter (and
 * through it the cache and the records) listens to that stream, and so does the writer of the
 * client's dialect: its stream events, or one whole answer. The stream's closing events are written
 * only after the upstream's answer ended as a whole; an error the upstream sends inside its stream
 * ends the client's with the dialect's error event.
 */
export function translatingSink(output: RelayOutput, translation: AnswerTranslation, answer: AnswerStart, isEventStream: boolean): AnswerSink {
  const { ctx } = output
  const meter = ctx.usageMeter
  const { dialect } = ctx
  // The answer as the client's dialect names it (`chatcmpl-...`, `msg_...`) for everyone listening: the client, the cache and the records.
  const clientIds = (listener: AnswerListener) => withHead(listener, (head) => ({ ...head, id: dialect.answerId(head.id) }))

  let writable = true
  // While set, what the writer writes is kept: its error events go out through output.break(), which cuts the connection once they are sent.
  let failText: string | undefined
  const writer = isEventStream
    ? dialect.streamWriter({
        write: (events) => {
          if (failText !== undefined) failText += events
          else writable = output.write(Buffer.from(events)) && writable
        },
        withUsage: ctx.json !== undefined && clientAskedStreamUsage(ctx.json),
        // The client's name for the model, also when a model map sent another upstream.
        model: ctx.model,
        promptEstimate: () => ctx.tokenReservation?.promptEstimate ?? (ctx.json === undefined ? 0 : estimatePromptTokens(ctx.json)),
      })
    : undefined
  /** The writer's error events for `error`, as text. */
  const errorEvents = (error: ClientError): string => {
    failText = ''
    writer?.fail(error)
    return failText
  }

  let failed = false
  const fail = (error: UpstreamError) => {
    if (failed) return
    failed = true
    output.exchange.cancel()
    ctx.outcome.failures.push({ upstream: output.upstreamName, reason: error.status, status: error.status, timeout: false, durationMs: performance.now() - (ctx.headersAt ?? ctx.startedAt) })
    const clientError = { ...error, param: error.param ?? null, requestId: ctx.id }
    if (writer !== undefined) {
      output.break(new RelayError('RELAY_ERR_UPSTREAM_STREAM_BROKEN', `The upstream answer broke off: ${error.message}`), errorEvents(clientError))
      return
    }
    // A plain answer that says it failed (a blocked prompt, a failed prediction): the client gets that error, with its status.
    output.refuse(clientError, `The upstream refused: ${error.message}`)
  }

  if (writer !== undefined) {
    const decoder = translation.decoder({ stream: true, listener: clientIds(fanOut(meter, writer)), fail })
    return {
      data(chunk) {
        if (failed) return true
        output.alive()
        writable = true
        decoder.push(chunk)
        return writable
      },
      end() {
        if (failed) return
        if (decoder.end() === 'complete') {
          // An upstream that reports no usage (Replicate's community models): what the gateway counted.
          if (!writer.hasUsage) {
            const counted = finalUsage(ctx)
            if (counted !== undefined) writer.usage(counted)
          }
          writer.end()
          output.finish()
        } else {
          const broken = new RelayError('RELAY_ERR_UPSTREAM_STREAM_BROKEN', 'The upstream answer ended before its last event.')
          output.break(broken, errorEvents(clientErrorOf(broken, ctx.id)))
        }
      },
      error(error) {
        if (failed) return
        failed = true
        output.transportFailed(error, (relayError) => errorEvents(clientErrorOf(relayError, ctx.id)))
      },
    }
  }

  // A plain answer is read whole, then written as one answer of the client's dialect.
  const assembler = meter?.assembler ?? new ChatAssembler()
  const listener: AnswerListener = meter === undefined ? assembler : meter.assembler !== undefined ? meter : fanOut(meter, assembler)
  const decoder = translation.decoder({ stream: false, listener: clientIds(listener), fail })
  return {
    data(chunk) {
      output.alive()
      decoder.push(chunk)
      return true
    },
    end() {
      if (failed) return
      const ended = decoder.end()
      // The decoder may find, reading the whole answer, that it says it failed (a blocked prompt): already answered.
      if (failed) return
      const completion = ended === 'complete' ? assembler.result() : undefined
      if (completion === undefined) {
        output.break(new RelayError('RELAY_ERR_UPSTREAM_FAILED', `The answer of upstream ${output.upstreamName} could not be read.`))
        return
      }
      if (completion.usage === null) {
        const counted = finalUsage(ctx)
        if (counted !== undefined) completion.usage = openaiUsage(counted)
      }
      const body = dialect.plainAnswer(completion, { model: ctx.model })
      writeAnswerHead(ctx, answer.statusCode, { ...translatedHeaders(answer.headers, 'application/json'), 'content-length': String(Buffer.byteLength(body)) })
      output.write(Buffer.from(body))
      output.finish()
    },
    error(error) {
      output.transportFailed(error)
    },
  }
}
