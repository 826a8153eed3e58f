import type { Answer, StreamAnswer } from '../answer.js'
import type { ApiInput } from '../api.js'
import { unauthenticated } from './auth.js'
import { replicateProblem } from './errors.js'
import type { MockPrediction } from './predictions.js'

/**
 * GET …/v1/predictions/{id}/stream: Replicate's stream (replicate.com/docs/streaming): one
 * `output` event of plain text per piece of the plan, then `done` with `{}`. A prediction canceled
 * meanwhile ends with `done` `{"reason":"canceled"}` at the next event; one whose behaviour asks for a
 * stream error sends `error` `{"detail"}` then `done` `{"reason":"error"}` halfway. Pieces go out
 * chunkDelayMs apart, as this request's behaviour says.
 */
export function streamAnswer(input: ApiInput, prediction: MockPrediction | undefined): Answer {
  const refused = unauthenticated(input)
  if (refused !== undefined) return refused
  if (prediction === undefined) return replicateProblem(404, 'The requested resource could not be found.', input.id)
  const pieces = prediction.plan.content
  const errorAt = prediction.behaviour.streamError ? Math.floor(pieces.length / 2) : -1
  const second = Math.floor(prediction.createdAt / 1000)
  let ended = false
  const render = (index: number): string => {
    if (ended) return ''
    if (prediction.canceledAt !== undefined) {
      ended = true
      return 'event: done\ndata: {"reason":"canceled"}\n\n'
    }
    if (index === errorAt) {
      ended = true
      return `event: error\ndata: ${JSON.stringify({ detail: 'The mock prediction failed as its behaviour asked.' })}\n\nevent: done\ndata: {"reason":"error"}\n\n`
    }
    if (index < pieces.length) return `event: output\nid: ${second}:${index}\n${dataLines(pieces[index]!)}\n\n`
    ended = true
    prediction.streamedAt ??= Date.now()
    return 'event: done\ndata: {}\n\n'
  }
  const events = liveEvents(pieces.length + 1, render)
  return { kind: 'sse', events, truncateAt: Math.ceil(events.length / 2) } satisfies StreamAnswer
}

/** Text as SSE data: each line its own `data:` line, nothing trimmed. */
function dataLines(text: string): string {
  return text
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')
}

/**
 * `count` events rendered as they are sent rather than when the answer is made: send.ts reads
 * `events[i]` just before writing it, so a cancel reaches a stream already running. Each is
 * rendered once.
 */
function liveEvents(count: number, render: (index: number) => string): readonly string[] {
  const rendered: (string | undefined)[] = Array.from({ length: count }, () => undefined)
  return new Proxy(rendered, {
    get(target, key, receiver) {
      if (typeof key !== 'string' || !/^\d+$/.test(key)) return Reflect.get(target, key, receiver) as unknown
      const index = Number(key)
      if (index >= count) return undefined
      return (target[index] ??= render(index))
    },
  }) as readonly string[]
}
