import { EventEmitter } from 'node:events'

/**
 * The smallest abort signal undici accepts (any EventEmitter with `aborted` and an 'abort' event).
 * Every upstream attempt needs one; an AbortController costs several microseconds to create
 * (it showed in the benchmark's CPU profile), this costs a plain EventEmitter.
 */
export class AbortEmitter extends EventEmitter {
  aborted = false

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.emit('abort')
  }
}
