/** A copy of an answer's bytes as the client got them, up to a bound past which it gives up (too big to cache). */
export class RawCopy {
  private chunks: Buffer[] = []
  private bytes = 0
  overflowed = false

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    if (this.overflowed) return
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes) {
      this.overflowed = true
      this.chunks = []
      return
    }
    this.chunks.push(chunk)
  }

  /** The whole answer, or undefined when it outgrew the bound. */
  result(): Buffer | undefined {
    return this.overflowed ? undefined : Buffer.concat(this.chunks, this.bytes)
  }
}
