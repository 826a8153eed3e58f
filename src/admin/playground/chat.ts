import { randomBytes } from 'node:crypto'
import { request, type Dispatcher } from 'undici'
import { RelayError } from '../../errors.js'
import type { RequestWatch, Watching } from '../../pipeline/watch.js'
import { awaitDecision, type Decision } from './decision.js'

export interface ChatMessage {
  role: string
  content: string
}

export interface ChatInput {
  /** A route prefix (`/`, `/claude`), or a whole path ending in /chat/completions. */
  path: string
  model: string
  messages: ChatMessage[]
  stream: boolean
  max_tokens?: number
  temperature?: number
}

/** A playground request on its way back from the relay: its answer's head, its body still to read, and the watch for its record. */
export interface RelayCall {
  requestId: string
  status: number
  contentType: string
  body: Dispatcher.ResponseData['body']
  watching: Watching
}

/** `/claude` → `/claude/v1/chat/completions`; a path that already ends so is kept. */
export function chatPathOf(path: string): string {
  return path.endsWith('/chat/completions') ? path : `${path.replace(/\/+$/, '')}/v1/chat/completions`
}

/**
 * Sends the chat to the gateway's own relay listener over HTTP, as any client would: the same
 * stages, limits, cache and failover, and a record. The watch is set before the request leaves, so
 * its finish cannot be missed. `signal` aborts it (the browser left), which cancels the upstream call.
 */
export async function callRelay(relayUrl: string, watch: RequestWatch, input: ChatInput, token: string | undefined, signal: AbortSignal): Promise<RelayCall> {
  const requestId = `playground-${randomBytes(12).toString('hex')}`
  const watching = watch.watch(requestId)
  const body = {
    model: input.model,
    messages: input.messages,
    ...(input.stream && { stream: true }),
    ...(input.max_tokens !== undefined && { max_tokens: input.max_tokens }),
    ...(input.temperature !== undefined && { temperature: input.temperature }),
  }
  try {
    const answer = await request(`${relayUrl}${chatPathOf(input.path)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: input.stream ? 'text/event-stream' : 'application/json',
        'user-agent': 'llm-relay-playground',
        'x-request-id': requestId,
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
      signal,
      // No timers of our own: the relay bounds the wait (failover.totalTimeout, idleTimeout) and answers with its own error.
      headersTimeout: 0,
      bodyTimeout: 0,
    })
    return { requestId, status: answer.statusCode, contentType: String(answer.headers['content-type'] ?? ''), body: answer.body, watching }
  } catch (error) {
    watching.cancel()
    if (signal.aborted) throw browserLeft()
    throw new RelayError('RELAY_ERR_INTERNAL', 'The playground could not reach the gateway\'s relay listener.', { cause: error })
  }
}

/** Nobody reads this answer: the browser closed the request. Not the gateway's failure, so not logged as one. */
export function browserLeft(): RelayError {
  return new RelayError('RELAY_ERR_BAD_REQUEST', 'The playground request was cancelled: the browser left.')
}

export interface PlainChatAnswer {
  status: number
  /** The body the client got: the completion, or the error in OpenAI's shape. */
  answer: unknown
  decision: Decision | null
}

/** A plain (not streamed) answer: read whole, then the decision beside it. An answer that broke off is shown as that error. */
export async function plainChat(call: RelayCall, signal: AbortSignal): Promise<PlainChatAnswer> {
  let answer: unknown
  try {
    answer = bodyOf(call.contentType, await call.body.text())
  } catch {
    if (signal.aborted) {
      call.watching.cancel()
      throw browserLeft()
    }
    answer = brokenOff().toBody()
  }
  return { status: call.status, answer, decision: await awaitDecision(call.watching) }
}

/** The relay cut its answer (an upstream that broke off after the first byte, which cannot fail over). */
export function brokenOff(): RelayError {
  return new RelayError('RELAY_ERR_UPSTREAM_STREAM_BROKEN', 'The answer broke off before its end.')
}

/** JSON when it says so and parses; otherwise the text as it came. */
export function bodyOf(contentType: string, text: string): unknown {
  if (!contentType.includes('json')) return text
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}
