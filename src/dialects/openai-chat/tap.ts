import type { UsageMeter } from '../../answers/usage-meter.js'
import { eventData } from '../../upstream/sse.js'
import { isObject, OpenAIChunkReader, readAnswer, usageOf } from './read.js'
import { usageObjectIn } from './usage-scan.js'

/** A plain answer bigger than this is not kept for its usage (it is still relayed in full); the estimate stands. */
const MAX_JSON_BYTES = 16 * 1024 * 1024
/** Stream events held unread (counts only) up to this many bytes; past it they are read at once and holding starts over. */
const MAX_DEFERRED_BYTES = 1024 * 1024

/**
 * Watches an OpenAI answer that is relayed as it is (an OpenAI-compatible upstream, an OpenAI
 * client) and reads it into the meter: each SSE event of a stream as it passes, a plain answer once
 * it is complete. When only the counts are wanted, a plain answer's usage is scanned from its bytes
 * instead of parsing the whole answer (usage-scan.ts).
 */
export class OpenAIAnswerTap {
  private readonly reader: OpenAIChunkReader
  private jsonChunks: Buffer[] | undefined
  private jsonBytes = 0
  /** Stream events not read yet (counts only): read only if the upstream gives no usage (the meter asks). */
  private deferred: Buffer[] = []
  private deferredBytes = 0
  private readonly readDeferred = (): void => {
    const events = this.deferred
    this.deferred = []
    this.deferredBytes = 0
    for (const event of events) this.read(event)
  }

  constructor(private readonly meter: UsageMeter) {
    this.reader = new OpenAIChunkReader(meter)
  }

  /** One whole SSE event; true when it is the usage-only chunk (`choices: []` with usage). */
  event(event: Buffer): boolean {
    // When only the counts are wanted, an event without a usage object waits: the profile of a relayed
    // stream showed parsing every event as the gateway's largest own cost, and its text is needed only
    // when the upstream reports no usage (or a record wants the text): the meter reads them when asked.
    if (this.meter.countsOnly && !hasUsageObject(event)) {
      if (this.deferred.length === 0) this.meter.defer(this.readDeferred)
      this.deferred.push(event)
      this.deferredBytes += event.length
      if (this.deferredBytes > MAX_DEFERRED_BYTES) this.readDeferred()
      return false
    }
    // The events held stay unread: with the upstream's usage their text is never counted.
    return this.read(event)
  }

  private read(event: Buffer): boolean {
    const data = eventData(event)
    if (data === undefined || data === '[DONE]') return false
    const json = parse(data)
    return json === undefined ? false : this.reader.chunk(json)
  }

  /** A chunk of a plain (non-SSE) answer, kept until end() up to a bound. */
  chunk(chunk: Buffer): void {
    if (this.jsonBytes + chunk.length > MAX_JSON_BYTES) {
      this.jsonChunks = undefined
      this.jsonBytes = Number.POSITIVE_INFINITY
      return
    }
    ;(this.jsonChunks ??= []).push(chunk)
    this.jsonBytes += chunk.length
  }

  /** The plain answer is complete: read it. */
  end(): void {
    const chunks = this.jsonChunks
    if (chunks === undefined) return
    this.jsonChunks = undefined
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    if (this.meter.countsOnly) {
      const usage = usageOf(usageObjectIn(body))
      if (usage !== undefined) {
        this.meter.usage(usage)
        return
      }
    }
    const json = parse(body.toString('utf8'))
    if (json !== undefined) readAnswer(json, this.meter)
  }
}

const COLON = 0x3a
const OPEN_BRACE = 0x7b
const USAGE_KEY = Buffer.from('"usage"')

/**
 * Whether the event has a `"usage": {` member. Inside a JSON string every quote is escaped, so a bare
 * `"usage"` followed by a colon is a key; usage given as null (include_usage's other chunks) is not one.
 */
export function hasUsageObject(event: Buffer): boolean {
  for (let at = event.indexOf(USAGE_KEY); at !== -1; at = event.indexOf(USAGE_KEY, at + 1)) {
    let index = skipSpace(event, at + USAGE_KEY.length)
    if (event[index] !== COLON) continue
    index = skipSpace(event, index + 1)
    if (event[index] === OPEN_BRACE) return true
  }
  return false
}

/** The index of the first byte at or after `index` that is not JSON whitespace. */
export function skipSpace(bytes: Buffer, index: number): number {
  while (index < bytes.length) {
    const byte = bytes[index]!
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) break
    index++
  }
  return index
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return isObject(value) ? value : undefined
  } catch {
    return undefined
  }
}
