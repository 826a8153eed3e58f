import { ChatAssembler, openaiUsage } from '../answers/chat-assembler.js'
import { finalUsage } from '../answers/final-usage.js'
import { fanOut, withHead, type AnswerListener } from '../answers/listener.js'
import { clientAskedStreamUsage } from '../answers/stream-usage.js'
import { chatCompletionId, ChatStreamWriter, plainCompletion } from '../dialects/openai-chat/write.js'
import { RelayError } from '../errors.js'
import { writeAnswerHead } from '../http/respond.js'
import type { AnswerTranslation, UpstreamError } from '../providers/index.js'
import type { AnswerSink, AnswerStart } from './exchange.js'
import type { RelayOutput } from './relay.js'
import { translatedHeaders } from './relay.js'

/**
 * The translating sink, in the manner of undici's decompress interceptor: it wraps the relay's
 * output only when the upstream's provider speaks another API. The native answer's bytes go to the
 * provider's decoder, which reads them into the answer stream; the usage meter (and through it the
 * cache and the records) listens to that stream, and so does the client's writer: OpenAI chunks for
 * a stream, one chat completion for a plain answer. `[DONE]` is written only after the upstream's
 * answer ended as a whole; an error the upstream sends inside its stream ends the client's as an
 * error.
 */
export function translatingSink(output: RelayOutput, translation: AnswerTranslation, answer: AnswerStart, isEventStream: boolean): AnswerSink {
  const { ctx } = output
  const meter = ctx.usageMeter
  let failed = false
  const fail = (error: UpstreamError) => {
    if (failed) return
    failed = true
    output.exchange.cancel()
    ctx.outcome.failures.push({ upstream: output.upstreamName, reason: error.status, status: error.status, timeout: false, durationMs: performance.now() - (ctx.headersAt ?? ctx.startedAt) })
    const body = JSON.stringify({ error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } })
    if (isEventStream) {
      output.break(new RelayError('RELAY_ERR_UPSTREAM_STREAM_BROKEN', `The upstream answer broke off: ${error.message}`), body)
      return
    }
    // A plain answer that says it failed (a blocked prompt, a failed prediction): the client gets that error, with its status.
    output.refuse(error.status, body, `The upstream refused: ${error.message}`)
  }

  if (isEventStream) {
    let writable = true
    const writer = new ChatStreamWriter({
      write: (event) => {
        writable = output.write(Buffer.from(event)) && writable
      },
      withUsage: ctx.json !== undefined && clientAskedStreamUsage(ctx.json),
      // The client's name for the model, also when a model map sent another upstream.
      model: ctx.model,
    })
    const decoder = translation.decoder({ stream: true, listener: openaiIds(fanOut(meter, writer)), fail })
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
          output.break(new RelayError('RELAY_ERR_UPSTREAM_STREAM_BROKEN', 'The upstream answer ended before its last event.'))
        }
      },
      error(error) {
        if (!failed) output.transportFailed(error)
      },
    }
  }

  // A plain answer is read whole, then written as one chat completion.
  const assembler = meter?.assembler ?? new ChatAssembler()
  const listener: AnswerListener = meter === undefined ? assembler : meter.assembler !== undefined ? meter : fanOut(meter, assembler)
  const decoder = translation.decoder({ stream: false, listener: openaiIds(listener), fail })
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
      const body = plainCompletion(completion, ctx.model)
      writeAnswerHead(ctx, answer.statusCode, { ...translatedHeaders(answer.headers, 'application/json'), 'content-length': String(Buffer.byteLength(body)) })
      output.write(Buffer.from(body))
      output.finish()
    },
    error(error) {
      output.transportFailed(error)
    },
  }
}

/** The answer as OpenAI would name it (`chatcmpl-...`) for everyone listening: the client, the cache and the records. */
function openaiIds(listener: AnswerListener): AnswerListener {
  return withHead(listener, (head) => ({ ...head, id: chatCompletionId(head.id) }))
}
