import type { ServerResponse } from 'node:http'
import type { LimitsConfig } from '../config/schema.js'
import type { ClientFacts } from '../access/client-scope.js'
import { parseLimits } from './limit-string.js'
import { underPrefix } from '../http/pathname.js'
import { levelOf } from './limit-rules.js'

/**
 * OpenAI-Forward's token_rate_limit (seeds.md A.4.5): a minimum gap between the events of a streamed
 * answer, per route and forward-key level. `N per W` is a gap of W/N ms; several limits in one string
 * take the widest gap; `inf` is no gap. Unlike the seed the level really applies (its lookup used the
 * raw `Bearer` header and always found level 0), and an event is an SSE event, not a network chunk.
 */

type StreamPacingRule = LimitsConfig['streamPacing'][number]

interface CompiledPacingRule {
  route: string
  level: number
  gapMs: number
}

/** The stream-pacing rules of one config, longest route first. */
export class StreamPacing {
  private readonly rules: CompiledPacingRule[]

  private constructor(rules: CompiledPacingRule[]) {
    this.rules = rules
  }

  /** Undefined when no rule paces anything, so unpaced configs pay nothing per request. */
  static compile(rules: readonly StreamPacingRule[]): StreamPacing | undefined {
    const compiled = rules.map((rule) => ({ route: normaliseRoute(rule.route), level: rule.level, gapMs: gapOf(rule.limit) }))
    if (!compiled.some((rule) => rule.gapMs > 0)) return undefined
    // Stable: among equal routes and levels the first rule written wins.
    return new StreamPacing(compiled.sort((a, b) => b.route.length - a.route.length))
  }

  /**
   * The gap for this request's stream in ms, 0 for none: the rule of the client's level whose route
   * is the longest whole-segment prefix of the path. A rule of `inf` matches and paces nothing.
   */
  gapFor(ctx: Pick<ClientFacts, 'identity'> & { readonly pathname: string }): number {
    const level = levelOf(ctx)
    for (const rule of this.rules) if (rule.level === level && underPrefix(ctx.pathname, rule.route)) return rule.gapMs
    return 0
  }
}

/** As the seed's format_route_prefix: a leading `/`, no trailing one (except the root). */
function normaliseRoute(route: string): string {
  const trimmed = route.trim().replace(/\/+$/, '')
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

function gapOf(limit: string): number {
  let gap = 0
  for (const { amount, windowMs } of parseLimits(limit)) gap = Math.max(gap, windowMs / amount)
  return gap
}

/** Queue bounds past which the upstream is paused until half of it has been written. */
const MAX_QUEUED_EVENTS = 64
const MAX_QUEUED_BYTES = 1024 * 1024

export interface PacerHooks {
  /** The queue has room again after push() returned false: resume the upstream. */
  room(): void
  /** An event was written while the upstream is held paused by the queue (the wait is ours, not the upstream's). */
  heldProgress(): void
}

/**
 * Writes one SSE answer to the client an event at a time, at least `gapMs` apart: the first at once,
 * each next one no sooner than `gapMs` after the previous write, and never before the client drained.
 * It takes whole events (upstream/sse.ts cuts them).
 */
export class StreamPacer {
  private readonly gapMs: number
  private readonly res: ServerResponse
  private readonly hooks: PacerHooks
  private readonly queue: Buffer[] = []
  private queuedBytes = 0
  private lastWriteAt = Number.NEGATIVE_INFINITY
  private timer: NodeJS.Timeout | undefined
  private waitingDrain = false
  /** push() returned false and room() is owed. */
  private holding = false
  private stopped = false
  /** Called once the queue is empty after finish(). */
  private last: (() => void) | undefined

  constructor(gapMs: number, res: ServerResponse, hooks: PacerHooks) {
    this.gapMs = gapMs
    this.res = res
    this.hooks = hooks
  }

  /** Queues one whole event; false asks the caller to pause the upstream until hooks.room(). */
  push(event: Buffer): boolean {
    if (this.stopped) return true
    this.queue.push(event)
    this.queuedBytes += event.length
    this.pump()
    if (this.queue.length > MAX_QUEUED_EVENTS || this.queuedBytes > MAX_QUEUED_BYTES) this.holding = true
    return !this.holding
  }

  /** The upstream is done: write what is queued at its pace, then call `last`. */
  finish(last: () => void): void {
    if (this.stopped) return
    this.last = last
    this.pump()
  }

  /** The client left: no more writes, timers stopped, the queue dropped. */
  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    this.queue.length = 0
    this.queuedBytes = 0
    this.last = undefined
  }

  private readonly tick = (): void => {
    this.timer = undefined
    this.pump()
  }

  private readonly drained = (): void => {
    this.waitingDrain = false
    this.pump()
  }

  private pump(): void {
    if (this.stopped || this.timer !== undefined || this.waitingDrain) return
    const event = this.queue[0]
    if (event === undefined) {
      const last = this.last
      this.last = undefined
      last?.()
      return
    }
    const wait = this.lastWriteAt + this.gapMs - performance.now()
    if (wait > 0) {
      this.timer = setTimeout(this.tick, Math.ceil(wait))
      return
    }
    this.queue.shift()
    this.queuedBytes -= event.length
    this.lastWriteAt = performance.now()
    if (!this.res.write(event)) {
      this.waitingDrain = true
      this.res.once('drain', this.drained)
    }
    if (this.holding) {
      if (this.queue.length <= MAX_QUEUED_EVENTS / 2 && this.queuedBytes <= MAX_QUEUED_BYTES / 2) {
        this.holding = false
        this.hooks.room()
      } else {
        this.hooks.heldProgress()
      }
    }
    // The next event waits for its gap (or the drain); the end of the queue calls `last` at once.
    if (this.queue.length === 0) this.pump()
    else if (!this.waitingDrain) this.timer = setTimeout(this.tick, Math.ceil(this.gapMs))
  }
}
