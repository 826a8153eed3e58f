const QUOTE = 0x22

/**
 * An answer relayed as it comes names the model the upstream was asked for; when the upstream's
 * model map renamed the client's, the client gets its own name back (as translated answers always
 * do): every `"model":"<upstream's>"` in the bytes becomes `"model":"<client's>"`. Only compact JSON
 * is matched (what OpenAI-compatible servers and Anthropic send); the text of an answer cannot hold
 * the pattern, since quotes inside a JSON string are escaped. A match cut by a chunk boundary is
 * found by keeping back the chunk's last bytes only when they could begin one, so an SSE event, which
 * ends with a blank line, is never held back.
 */
export class ModelRenamer {
  private readonly from: Buffer
  private readonly to: Buffer
  private carry: Buffer | undefined

  constructor(upstreamModel: string, clientModel: string) {
    this.from = Buffer.from(`"model":${JSON.stringify(upstreamModel)}`)
    this.to = Buffer.from(`"model":${JSON.stringify(clientModel)}`)
  }

  /** The chunk with the name replaced, less any tail that may begin a match (kept for the next chunk). */
  push(chunk: Buffer): Buffer {
    const data = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk])
    this.carry = undefined
    let at = data.indexOf(this.from)
    if (at === -1) return this.keepTail(data, 0, [])
    const parts: Buffer[] = []
    let pos = 0
    while (at !== -1) {
      parts.push(data.subarray(pos, at), this.to)
      pos = at + this.from.length
      at = data.indexOf(this.from, pos)
    }
    return this.keepTail(data, pos, parts)
  }

  /** What is still kept back, at the end of the answer. */
  end(): Buffer | undefined {
    const rest = this.carry
    this.carry = undefined
    return rest
  }

  private keepTail(data: Buffer, pos: number, parts: Buffer[]): Buffer {
    const keep = this.partialMatchAtEnd(data, pos)
    if (keep > 0) this.carry = Buffer.from(data.subarray(data.length - keep))
    if (parts.length === 0) return keep === 0 ? data : data.subarray(0, data.length - keep)
    parts.push(data.subarray(pos, data.length - keep))
    return Buffer.concat(parts)
  }

  /** The length of the longest end of data[pos..] that is a beginning of the pattern (0 when none). */
  private partialMatchAtEnd(data: Buffer, pos: number): number {
    const longest = Math.min(this.from.length - 1, data.length - pos)
    for (let length = longest; length > 0; length--) {
      const start = data.length - length
      if (data[start] === QUOTE && data.compare(this.from, 0, length, start) === 0) return length
    }
    return 0
  }
}
