/**
 * Follows a JSON text fragment by fragment, keeping only its nesting depth, to tell when its
 * top-level object or array has closed: a tool call's arguments are then whole. Brackets inside
 * strings do not count.
 */
export class JsonEnd {
  complete = false
  private depth = 0
  private inString = false
  private escaped = false

  reset(): void {
    this.complete = false
    this.depth = 0
    this.inString = false
    this.escaped = false
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i)
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (char === 0x5c) this.escaped = true
        else if (char === 0x22) this.inString = false
      } else if (char === 0x22) this.inString = true
      else if (char === 0x7b || char === 0x5b) this.depth++
      else if ((char === 0x7d || char === 0x5d) && this.depth > 0 && --this.depth === 0) this.complete = true
    }
  }
}
