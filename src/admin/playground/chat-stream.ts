import { eventData, SseSplitter } from '../../upstream/sse.js'
import { bodyOf, brokenOff, type RelayCall } from './chat.js'
import { awaitDecision } from './decision.js'

/** One event of the playground's stream; a payload of several lines keeps them, one `data:` each. */
function sseEvent(name: 'chunk' | 'decision' | 'error', data: string): string {
  return `event: ${name}\n${data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`
}

/** An error answer as the `error` event carries it: its status and OpenAI's `error` object (a body of another shape becomes its message). */
function errorEventOf(status: number, body: unknown): { status: number; error: unknown } {
  if (typeof body === 'object' && body !== null && 'error' in body) return { status, error: body.error }
  const message = (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 2000)
  return { status, error: { message, type: 'api_error', param: null, code: null } }
}

/**
 * A streamed chat as the playground sends it on: `chunk` with each data payload of the relay's
 * stream as it arrives (`[DONE]` included), or `error` with the error answer the relay gave; then
 * `decision`. When the browser leaves, the generator is ended and `signal` aborts the relay request.
 */
export async function* chatEvents(call: RelayCall, signal: AbortSignal): AsyncGenerator<string> {
  try {
    try {
      if (call.status < 400 && call.contentType.startsWith('text/event-stream')) {
        yield* relayedChunks(call)
      } else {
        const answer = bodyOf(call.contentType, await call.body.text())
        // A 2xx that is not a stream (a relay that answered whole) is one chunk.
        yield call.status >= 400 ? sseEvent('error', JSON.stringify(errorEventOf(call.status, answer))) : sseEvent('chunk', typeof answer === 'string' ? answer : JSON.stringify(answer))
      }
    } catch {
      // The browser left: nobody to tell.
      if (signal.aborted) return
      yield sseEvent('error', JSON.stringify({ status: call.status, ...brokenOff().toBody() }))
    }
    yield sseEvent('decision', JSON.stringify(await awaitDecision(call.watching)))
  } finally {
    call.watching.cancel()
  }
}

async function* relayedChunks(call: RelayCall): AsyncGenerator<string> {
  const splitter = new SseSplitter()
  for await (const chunk of call.body) {
    for (const event of splitter.push(chunk as Buffer)) {
      const data = eventData(event)
      if (data !== undefined) yield sseEvent('chunk', data)
    }
  }
  const rest = splitter.rest()
  const data = rest === undefined ? undefined : eventData(rest)
  if (data !== undefined) yield sseEvent('chunk', data)
}
