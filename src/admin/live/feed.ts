import type { ConfigEditor } from '../../config/edit/apply.js'
import type { Logger } from '../../log.js'
import type { RuntimeHolder } from '../../runtime.js'
import type { RecordQuery, RecordStore } from '../../storage/types.js'
import { requestRow } from '../request-list.js'
import { ConfigWatch } from './config-watch.js'
import type { SseStream } from './sse.js'
import type { StatsEvent } from './stats.js'
import { StatsSampler, type StatsSamplerOptions } from './stats-sampler.js'
import { RequestTail, type RequestTailOptions } from './tail.js'

export const topics = ['stats', 'requests', 'config'] as const
export type Topic = (typeof topics)[number]

/** What one page asked to follow. */
export interface Subscription {
  topics: ReadonlySet<Topic>
  /** The request list's filters, for `request` events. */
  filter: RecordQuery
  /** The seq of the last record the page has (its Last-Event-ID); undefined: start at the newest. */
  afterSeq: number | undefined
}

export interface LiveFeedDeps {
  holder: RuntimeHolder
  editor: ConfigEditor | undefined
  /** The records, read; undefined when records are off (then no `request` event comes). */
  records: RecordStore | undefined
  logger: Logger
}

/**
 * The admin's live data for every open page: one stats sampler and one config watch, whatever the
 * number of pages; the request tail reads for each page with its own filters. Each stream gets only
 * the topics it asked for.
 */
export class LiveFeed {
  readonly #streams = new Map<SseStream, ReadonlySet<Topic>>()
  readonly #sampler: StatsSampler
  readonly #config: ConfigWatch
  readonly #tail: RequestTail | undefined

  constructor(deps: LiveFeedDeps, options: { stats?: StatsSamplerOptions; tail?: RequestTailOptions } = {}) {
    this.#sampler = new StatsSampler(deps.holder, deps.logger, options.stats)
    this.#config = new ConfigWatch(deps.holder, deps.editor)
    this.#tail = deps.records === undefined ? undefined : new RequestTail(deps.records, () => deps.holder.current.records?.writer, deps.logger, options.tail)
  }

  start(): void {
    this.#sampler.start()
    this.#sampler.onSample((stats) => this.#publish(stats))
  }

  /** Ends every stream (before the listener closes, which would otherwise wait for them). */
  closeStreams(): void {
    for (const stream of [...this.#streams.keys()]) stream.close()
  }

  stop(): void {
    this.closeStreams()
    this.#sampler.stop()
    this.#tail?.close()
  }

  /**
   * Starts a page's stream: the charts' history and the latest numbers at once, then each topic as it
   * comes. The stream is opened once the tail knows where it starts, so that every record written
   * after the page sees the stream open is sent.
   */
  async connect(subscription: Subscription, open: () => SseStream): Promise<SseStream> {
    const wanted = subscription.topics
    const tail = wanted.has('requests') ? this.#tail : undefined
    const afterSeq = subscription.afterSeq ?? (await tail?.latestSeq())
    const stream = open()
    if (wanted.has('stats')) {
      stream.send('history', { intervalMs: this.#sampler.intervalMs, samples: this.#sampler.history() })
      const latest = this.#sampler.latest
      if (latest !== undefined) stream.send('stats', latest)
    }
    this.#streams.set(stream, wanted)
    const stopTail = tail?.add({
      filter: subscription.filter,
      afterSeq,
      get paused() {
        return stream.congested
      },
      gap: (after, before) => stream.send('gap', { reason: 'backlog', afterSeq: after, beforeSeq: before }),
      // The seq is the event id: a reconnecting EventSource sends it back as Last-Event-ID.
      deliver: (record) => stream.send('request', requestRow(record), { id: record.seq! }),
    })
    stream.onClose(() => {
      this.#streams.delete(stream)
      stopTail?.()
    })
    return stream
  }

  #publish(stats: StatsEvent): void {
    const config = this.#config.check()
    for (const [stream, wanted] of this.#streams) {
      if (wanted.has('stats')) stream.send('stats', stats)
      // Rare and small, and a page could not tell it missed one: sent even to a slow client.
      if (config !== undefined && wanted.has('config')) stream.send('config', config, { always: true })
    }
  }
}
