import { isObject } from '../dialects/fields.js'
import { SseSplitter } from '../upstream/sse.js'
import type { AnswerDecoder } from './types.js'

/**
 * The two shapes native answers come in, decoded once here so that no provider repeats SSE framing
 * or buffering (STYLE.md §6.7-3): a JSON body read whole, and an SSE stream read event by event.
 * Each provider only says what one parsed answer or one event means.
 */

/** The most a plain native answer may be: it is held whole before it can be translated. */
const MAX_PLAIN_BYTES = 32 * 1024 * 1024

export type Completion = 'complete' | 'incomplete'

/** A plain JSON answer: buffered (bounded), parsed at the end and handed to `read`. */
export function jsonDecoder(read: (json: unknown) => Completion): AnswerDecoder {
  const chunks: Buffer[] = []
  let size = 0
  return {
    push(chunk) {
      size += chunk.length
      if (size <= MAX_PLAIN_BYTES) chunks.push(chunk)
    },
    end() {
      if (size > MAX_PLAIN_BYTES) return 'incomplete'
      let json: unknown
      try {
        json = JSON.parse(Buffer.concat(chunks, size).toString('utf8'))
      } catch {
        return 'incomplete'
      }
      return read(json)
    },
  }
}

/** One SSE event: its `event:` name (undefined when it has none) and its `data` (lines joined by `\n`). */
export interface SseEvent {
  name: string | undefined
  data: string
}

/**
 * A stream of SSE events, each handed to `onEvent` as it completes; `done()` says at the end whether
 * the stream ended as a whole answer (its last event was seen).
 */
export function sseDecoder(onEvent: (event: SseEvent) => void, done: () => Completion): AnswerDecoder {
  const splitter = new SseSplitter()
  const dispatch = (raw: Buffer) => {
    const event = parseEvent(raw)
    if (event !== undefined) onEvent(event)
  }
  return {
    push(chunk) {
      for (const raw of splitter.push(chunk)) dispatch(raw)
    },
    end() {
      const rest = splitter.rest()
      if (rest !== undefined) dispatch(rest)
      return done()
    },
  }
}

/** An event's name and data; undefined for comments and events without data. */
export function parseEvent(raw: Buffer): SseEvent | undefined {
  let name: string | undefined
  let data: string | undefined
  for (const line of raw.toString('utf8').split(/\r\n|\r|\n/)) {
    if (line.startsWith('data:')) {
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5)
      data = data === undefined ? value : `${data}\n${value}`
    } else if (line.startsWith('event:')) {
      name = line.slice(line.charCodeAt(6) === 32 ? 7 : 6)
    }
  }
  return data === undefined ? undefined : { name, data }
}

/** JSON.parse that gives undefined instead of throwing: upstream events are not trusted to parse. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export { isObject }

/** A token count from an upstream's usage: a finite non-negative number, else 0. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0
}

/**
 * Tool-call arguments (JSON text, as OpenAI carries them) as the object providers that parse them
 * want: none is `{}`, and text that is not a JSON object is kept whole under `arguments`.
 */
export function argumentsObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {}
  const parsed = parseJson(text)
  return isObject(parsed) ? parsed : { arguments: text }
}
