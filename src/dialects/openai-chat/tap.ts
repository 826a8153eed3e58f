import type { UsageMeter } from '../../answers/usage-meter.js'
import { eventData } from '../../upstream/sse.js'
import { isObject, OpenAIChunkReader, readAnswer, usageOf } from './read.js'
import { usageObjectIn } from './usage-scan.js'

/** A plain answer bigger than this is not kept for its usage (it is still relayed in full); the estimate stands. */
const MAX_JSON_BYTES = 16 * 1024 * 1024

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
  constructor(private readonly meter: UsageMeter) {
    this.reader = new OpenAIChunkReader(meter)
  }

  /**
   * One whole SSE event; true when it is the usage-only chunk (`choices: []` with usage). Read at once:
   * holding a stream's events unread until the end (to skip parsing them when the upstream reports
   * usage) saved about 1.3 us an event but held their bytes, 95 KB a stream at 2,000 held streams in
   * the soak (issue 18), so it was taken out.
   */
  event(event: Buffer): boolean {
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

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return isObject(value) ? value : undefined
  } catch {
    return undefined
  }
}
