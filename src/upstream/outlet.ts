import type { AnswerSink } from './exchange.js'

/**
 * The exchange's answer body as it is made (a prediction read whole, a stream relayed event by event,
 * events the exchange adds): held until the relay attaches its sink, then passed on with the sink's
 * backpressure. Ends once, as complete or as an error.
 */
export class Outlet {
  private sink: AnswerSink | undefined
  private pending: Buffer[] | undefined
  private outcome: 'end' | Error | undefined

  get closed(): boolean {
    return this.outcome !== undefined
  }

  /** False when the sink is full: whoever produces should pause until the relay resumes the exchange. */
  push(chunk: Buffer): boolean {
    if (this.outcome !== undefined) return true
    if (this.sink === undefined) {
      ;(this.pending ??= []).push(chunk)
      return true
    }
    return this.sink.data(chunk)
  }

  end(): void {
    if (this.outcome !== undefined) return
    this.outcome = 'end'
    this.sink?.end()
  }

  error(error: Error): void {
    if (this.outcome !== undefined) return
    this.outcome = error
    this.sink?.error(error)
  }

  attach(sink: AnswerSink): void {
    this.sink = sink
    const pending = this.pending
    this.pending = undefined
    if (pending !== undefined) for (const chunk of pending) sink.data(chunk)
    if (this.outcome === 'end') sink.end()
    else if (this.outcome !== undefined) sink.error(this.outcome)
  }
}
