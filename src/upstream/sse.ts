/**
 * The one server-sent-events reader. Written here rather than taken from eventsource-parser: the
 * relay needs each event's raw bytes (to pace, filter or pass them on unchanged), which a parser
 * that hands out only decoded fields cannot give back.
 */

/**
 * Cuts a byte stream into whole SSE events at blank lines (`\n\n`, `\r\n\r\n` and mixes). Each event
 * keeps its terminating blank line; a partial event waits for the bytes that end it.
 */
export class SseSplitter {
  /** Bytes of an event not complete yet, and where to resume looking for its end. */
  private partial: Buffer | undefined
  private scanFrom = 0

  /** The events completed by `chunk`, in order (often none or one). */
  push(chunk: Buffer): Buffer[] {
    const events: Buffer[] = []
    const bytes = this.partial === undefined ? chunk : Buffer.concat([this.partial, chunk])
    let start = 0
    let at = this.scanFrom
    let newline: number
    while ((newline = bytes.indexOf(10, at)) !== -1) {
      const next = bytes[newline + 1]
      // A line feed at the very end (or followed by a lone CR) cannot tell yet whether a blank line follows.
      if (next === undefined || (next === 13 && newline + 2 >= bytes.length)) break
      const end = next === 10 ? newline + 2 : next === 13 && bytes[newline + 2] === 10 ? newline + 3 : -1
      if (end === -1) {
        at = newline + 1
        continue
      }
      events.push(bytes.subarray(start, end))
      start = end
      at = end
    }
    this.partial = start < bytes.length ? bytes.subarray(start) : undefined
    this.scanFrom = this.partial === undefined ? 0 : Math.max(0, (newline === -1 ? bytes.length : newline) - start)
    return events
  }

  /** What is left after the stream ended: a last event that lacked its blank line, if any. */
  rest(): Buffer | undefined {
    const rest = this.partial
    this.partial = undefined
    this.scanFrom = 0
    return rest
  }
}

/** The `data` of one raw event (its `data:` lines joined by `\n`), or undefined when it has none. */
export function eventData(event: Buffer): string | undefined {
  const text = event.toString('utf8')
  let data: string | undefined
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (!line.startsWith('data:')) continue
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5)
    data = data === undefined ? value : `${data}\n${value}`
  }
  return data
}
