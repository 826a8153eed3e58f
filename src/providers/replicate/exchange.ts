import type { IncomingHttpHeaders } from 'node:http'
import { errors, type Dispatcher } from 'undici'
import { SseSplitter } from '../../upstream/sse.js'
import { UpstreamExchange, type AnswerSink, type AnswerStart, type Exchange } from '../../upstream/exchange.js'
import { isObject, parseEvent } from '../decode.js'
import type { DispatchFn, OutboundHeaders } from '../types.js'
import { outputText } from './answer.js'
import { HEAD_EVENT, METRICS_EVENT, isGatewayEvent, sseEvent } from './events.js'
import { OffHostError, type HostCheck } from './hosts.js'
import { Outlet } from '../../upstream/outlet.js'
import { isFinal, parsePrediction, readWhole, type Prediction } from './prediction.js'

export interface PredictionPlan {
  stream: boolean
  /** Seconds of `Prefer: wait` on the create call of a plain answer; 0 only polls. */
  waitSeconds: number
  pollIntervalMs: number
  followable: HostCheck
}

interface WholeAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** A cancel that gets no answer is given up after this long; nobody waits for it. */
const CANCEL_TIMEOUT_MS = 10_000

const jsonHeaders: IncomingHttpHeaders = { 'content-type': 'application/json' }
const streamHeaders: IncomingHttpHeaders = { 'content-type': 'text/event-stream' }

/** Headers of the create request that say something about its body or its answer's encoding: not sent on the requests that follow. */
const createOnly = new Set(['content-type', 'content-length', 'prefer', 'accept', 'accept-encoding'])

/**
 * One attempt on Replicate as one exchange for the relay (translation.md §1), made of several HTTP
 * requests on the dispatcher it is handed:
 * 1. POST the prediction (`Prefer: wait=N` for a plain answer); an error status is the answer, its
 *    problem body read by the provider's error mapping;
 * 2. a stream: GET urls.stream and relay its events, the prediction's head before them; after `done`,
 *    GET urls.get once and add its `metrics` as one more event, so usage is known before the end;
 * 3. a plain answer: GET urls.get every pollInterval until the prediction ends; the answer is the
 *    final prediction, or a 502 problem when it failed or was canceled (so failover moves on).
 * A client that leaves (or a timeout) stops what is in flight and cancels a prediction still running
 * (POST urls.cancel, not waited for). The requests after the create carry its headers (the key, the
 * upstream's extra headers) but only to URLs on the configured Replicate hosts; any other URL fails
 * the attempt.
 */
export class PredictionExchange implements Exchange {
  readonly started: Promise<AnswerStart>
  private resolveStart!: (start: AnswerStart) => void
  private rejectStart!: (error: Error) => void
  private settled = false
  private abortReason: Error | undefined
  private readonly outlet = new Outlet()
  /** The request being read whole (the create, a poll, the metrics read). */
  private inflight: UpstreamExchange | undefined
  /** The create call while it has not answered. */
  private creating: UpstreamExchange | undefined
  /** The stream being relayed: what resume() resumes. */
  private streaming: UpstreamExchange | undefined
  private timer: NodeJS.Timeout | undefined
  private wake: ((reason: Error) => void) | undefined
  private prediction: Prediction | undefined
  /** The prediction ended (a final status, or its stream's done or error): nothing left to cancel. */
  private ended = false
  private cancelSent = false
  private readonly followHeaders: OutboundHeaders

  constructor(
    private readonly dispatch: DispatchFn,
    create: Dispatcher.DispatchOptions,
    private readonly plan: PredictionPlan,
  ) {
    this.started = new Promise((resolve, reject) => {
      this.resolveStart = resolve
      this.rejectStart = reject
    })
    const headers = headerRecord(create.headers)
    this.followHeaders = {}
    for (const name in headers) if (!createOnly.has(name)) this.followHeaders[name] = headers[name]
    const createHeaders: OutboundHeaders = {}
    // The answer is read here, so it must come uncompressed.
    for (const name in headers) if (name !== 'accept-encoding' && name !== 'prefer') createHeaders[name] = headers[name]
    if (!plan.stream && plan.waitSeconds > 0) createHeaders.prefer = `wait=${plan.waitSeconds}`
    this.run({ ...create, headers: createHeaders }).catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))))
  }

  abort(reason: Error): void {
    if (this.abortReason !== undefined || this.outlet.closed) return
    this.abortReason = reason
    clearTimeout(this.timer)
    this.wake?.(reason)
    const creating = this.creating
    if (creating !== undefined) {
      // The create goes on in the background: its answer has the id that a cancel needs, and a prediction
      // runs (and is billed) whether anyone waits for it or not. It is given up after its wait and a margin.
      setTimeout(() => creating.abort(reason), (this.plan.stream ? 0 : this.plan.waitSeconds * 1000) + CANCEL_TIMEOUT_MS).unref()
    } else {
      this.inflight?.abort(reason)
    }
    this.streaming?.abort(reason)
    if (!this.settled) {
      this.settled = true
      this.rejectStart(reason)
    } else {
      this.outlet.error(reason)
    }
    this.cancelPrediction()
  }

  cancel(): void {
    this.abort(new errors.RequestAbortedError())
  }

  resume(): void {
    this.streaming?.resume()
  }

  attach(sink: AnswerSink): void {
    this.outlet.attach(sink)
  }

  drain(): void {
    this.outlet.attach({ data: () => true, end() {}, error() {} })
  }

  private async run(create: Dispatcher.DispatchOptions): Promise<void> {
    // 1. Create the prediction.
    let created: WholeAnswer
    try {
      this.creating = this.open(create)
      created = await this.read(this.creating)
    } finally {
      this.creating = undefined
    }
    if (created.status >= 400) return this.answer(created.status, created.headers, created.body)
    let prediction = this.track(created.body)
    // 2. A stream, when the model offers one.
    if (this.plan.stream && !isFinal(prediction.status) && prediction.urls.stream !== undefined) return await this.relayStream(prediction)
    // 3. Otherwise wait for the prediction to end.
    while (!isFinal(prediction.status)) {
      await this.sleep(this.plan.pollIntervalMs)
      const polled = await this.send(this.followUp('GET', this.follow('get', prediction.urls.get)))
      if (polled.status >= 400) {
        this.cancelPrediction()
        return this.answer(polled.status, polled.headers, polled.body)
      }
      prediction = this.track(polled.body)
    }
    this.answerFinal(prediction)
  }

  private async relayStream(prediction: Prediction): Promise<void> {
    const exchange = this.open(this.followUp('GET', this.follow('stream', prediction.urls.stream), { accept: 'text/event-stream', 'cache-control': 'no-store' }))
    const start = await exchange.started
    if (start.statusCode >= 400) {
      const body = await readWhole(exchange)
      this.cancelPrediction()
      return this.answer(start.statusCode, start.headers, body)
    }
    this.streaming = exchange
    if (!this.start({ statusCode: 200, headers: streamHeaders })) return
    this.outlet.push(headEvent(prediction))
    exchange.attach(this.streamPipe(prediction))
  }

  /**
   * The upstream's events on to the outlet, whole: its `done` is followed by the metrics event, which
   * must not land inside a half-received event. After `done` nothing more is read.
   */
  private streamPipe(prediction: Prediction): AnswerSink {
    const splitter = new SseSplitter()
    let done = false
    const relay = (raw: Buffer): boolean => {
      const name = parseEvent(raw)?.name
      if (isGatewayEvent(name)) return true
      if (name === 'done' || name === 'error') this.ended = true
      const writable = this.outlet.push(raw)
      if (name === 'done') {
        done = true
        void this.finishStream(prediction)
      }
      return writable
    }
    return {
      data(chunk) {
        let writable = true
        for (const raw of splitter.push(chunk)) if (!done) writable = relay(raw) && writable
        return writable
      },
      end: () => {
        if (done) return
        const rest = splitter.rest()
        if (rest !== undefined) relay(Buffer.concat([rest, Buffer.from('\n\n')]))
        if (done) return
        // Ended without `done`: the decoder calls the answer incomplete; the prediction may still run.
        this.cancelPrediction()
        this.outlet.end()
      },
      error: (error) => {
        if (done) return
        this.cancelPrediction()
        this.outlet.error(error)
      },
    }
  }

  /** After `done`: the metrics (official models have token counts), then the end. Without them the gateway counts the text. */
  private async finishStream(prediction: Prediction): Promise<void> {
    let metrics: unknown
    const url = this.followableUrl(prediction.urls.get)
    if (url !== undefined) {
      try {
        const read = await this.send(this.followUp('GET', url))
        if (read.status < 400) metrics = parsePrediction(read.body)?.metrics
      } catch {
        // Metrics are optional; an abort is handled by abort().
      }
    }
    if (this.abortReason !== undefined) return
    // Replicate may hold the stream open after done (until its 408 comment): not waited for.
    this.streaming?.abort(new errors.RequestAbortedError())
    if (isObject(metrics)) this.outlet.push(sseEvent(METRICS_EVENT, JSON.stringify(metrics)))
    this.outlet.end()
  }

  /** The final prediction as the answer: itself when it succeeded, else a 502 problem. A stream asked of a model that offers none gets the whole output as one event. */
  private answerFinal(prediction: Prediction): void {
    if (prediction.status !== 'succeeded') {
      const detail = prediction.error ?? `The prediction ended ${prediction.status}.`
      this.answer(502, jsonHeaders, Buffer.from(JSON.stringify({ title: `Prediction ${prediction.status}`, detail, status: 502 })))
      return
    }
    if (!this.plan.stream) {
      this.answer(200, jsonHeaders, Buffer.from(JSON.stringify(prediction)))
      return
    }
    if (!this.start({ statusCode: 200, headers: streamHeaders })) return
    this.outlet.push(headEvent(prediction))
    const text = outputText(prediction.output)
    if (text !== '') this.outlet.push(sseEvent('output', text))
    this.outlet.push(sseEvent('done', '{}'))
    if (isObject(prediction.metrics)) this.outlet.push(sseEvent(METRICS_EVENT, JSON.stringify(prediction.metrics)))
    this.outlet.end()
  }

  /** An answer read whole: its status now, its body to whichever sink is attached. */
  private answer(status: number, headers: IncomingHttpHeaders, body: Buffer): void {
    if (!this.start({ statusCode: status, headers })) return
    this.outlet.push(body)
    this.outlet.end()
  }

  /** Settles `started`; false when the attempt was stopped meanwhile. */
  private start(start: AnswerStart): boolean {
    if (this.settled || this.abortReason !== undefined) return false
    this.settled = true
    this.resolveStart(start)
    return true
  }

  /** The attempt failed (a transport error, an off-host URL, an answer that is not a prediction). */
  private fail(error: Error): void {
    if (this.abortReason !== undefined) return
    this.inflight?.abort(error)
    this.streaming?.abort(error)
    this.cancelPrediction()
    if (!this.settled) {
      this.settled = true
      this.rejectStart(error)
    } else {
      this.outlet.error(error)
    }
  }

  private track(body: Buffer): Prediction {
    const prediction = parsePrediction(body)
    if (prediction === undefined) throw new Error('Replicate answered with something that is not a prediction.')
    this.prediction = prediction
    if (isFinal(prediction.status)) this.ended = true
    if (this.abortReason !== undefined) {
      // Created after the attempt was stopped: canceled now that its id is known.
      this.cancelPrediction()
      throw this.abortReason
    }
    return prediction
  }

  /** Sends one request and reads its answer whole. */
  private send(options: Dispatcher.DispatchOptions): Promise<WholeAnswer> {
    return this.read(this.open(options))
  }

  private async read(exchange: UpstreamExchange): Promise<WholeAnswer> {
    const start = await exchange.started
    return { status: start.statusCode, headers: start.headers, body: await readWhole(exchange) }
  }

  private open(options: Dispatcher.DispatchOptions): UpstreamExchange {
    if (this.abortReason !== undefined) throw this.abortReason
    const exchange = new UpstreamExchange()
    this.inflight = exchange
    try {
      this.dispatch(options, exchange)
    } catch (error) {
      // undici refuses some requests synchronously (a closed dispatcher, a bad header): this attempt fails.
      exchange.abort(error as Error)
    }
    return exchange
  }

  private sleep(ms: number): Promise<void> {
    if (this.abortReason !== undefined) return Promise.reject(this.abortReason)
    return new Promise((resolve, reject) => {
      this.wake = reject
      this.timer = setTimeout(() => {
        this.wake = undefined
        resolve()
      }, ms)
    })
  }

  /** A URL the prediction handed out, when it may be followed with the key. */
  private followableUrl(text: string | undefined): URL | undefined {
    if (text === undefined || !URL.canParse(text)) return undefined
    const url = new URL(text)
    return this.plan.followable(url) ? url : undefined
  }

  /** The URL to follow next; a missing or off-host one fails the attempt. */
  private follow(which: 'get' | 'stream', text: string | undefined): URL {
    if (text === undefined) throw new Error(`Replicate's prediction has no urls.${which}.`)
    const url = this.followableUrl(text)
    if (url === undefined) throw new OffHostError(which, text)
    return url
  }

  private followUp(method: Dispatcher.HttpMethod, url: URL, extra: Record<string, string> = {}): Dispatcher.DispatchOptions {
    return { origin: url.origin, path: `${url.pathname}${url.search}`, method, headers: { ...this.followHeaders, ...extra }, body: null }
  }

  /** POST urls.cancel for a prediction still running (it is billed while it runs), once; nothing waits for the answer. */
  private cancelPrediction(): void {
    const prediction = this.prediction
    if (prediction === undefined || this.ended || this.cancelSent) return
    this.cancelSent = true
    const url = this.followableUrl(prediction.urls.cancel)
    if (url === undefined) return
    const exchange = new UpstreamExchange()
    const timer = setTimeout(() => exchange.abort(new errors.RequestAbortedError()), CANCEL_TIMEOUT_MS)
    timer.unref()
    void exchange.started.then(
      () => exchange.attach({ data: () => true, end: () => clearTimeout(timer), error: () => clearTimeout(timer) }),
      () => clearTimeout(timer),
    )
    try {
      this.dispatch(this.followUp('POST', url), exchange)
    } catch (error) {
      // The gateway is closing its upstream connections: there is nothing left to cancel with.
      exchange.abort(error as Error)
    }
  }
}

/** The first event of the stream the decoder reads: the prediction's id, model and creation time. */
function headEvent(prediction: Prediction): Buffer {
  return sseEvent(HEAD_EVENT, JSON.stringify({ id: prediction.id, model: prediction.model, created_at: prediction.created_at }))
}

/** Request headers in whichever form undici took them, as one lower-case record. */
function headerRecord(headers: Dispatcher.DispatchOptions['headers']): OutboundHeaders {
  const out: OutboundHeaders = {}
  if (headers === undefined || headers === null) return out
  if (Array.isArray(headers)) {
    for (let at = 0; at + 1 < headers.length; at += 2) out[headers[at]!.toLowerCase()] = headers[at + 1]
  } else if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) out[name.toLowerCase()] = value
  } else {
    for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value
  }
  return out
}
