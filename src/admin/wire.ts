import type { CacheStatus, RequestRecord, TokensSource } from '../records/record.js'

/**
 * The shapes the admin API sends that the UI reads (ui/ imports this file's types): one contract for
 * both sides. Types only, and no import that is not types only, so the browser's build can read it.
 */

/** A request record as lists and the live tail send it: no attempts, no content, no user agent. */
export type RequestRow = Omit<RequestRecord, 'attempts' | 'content' | 'userAgent'> & { seq: number }

/** The `stats` event: the Overview's numbers at one moment (docs/ui.md, "Live"). */
export interface StatsEvent {
  time: number
  /** The ms the rates are over: since the sample before (about the sampler's interval). */
  intervalMs: number
  rate: { requestsPerSec: number; errorsPerSec: number; promptTokensPerSec: number; completionTokensPerSec: number }
  window: WindowStats
  totals: Totals
  inFlight: number
  streamsInFlight: number
  upstreams: UpstreamState[]
}

/** Over the recent window (the last 10 s): quantiles from the histograms' growth, the cache's hits among its lookups. */
export interface WindowStats {
  /** The ms the window covers (shorter just after the start). */
  ms: number
  p50Ms: number | null
  p95Ms: number | null
  ttfbP50Ms: number | null
  ttfbP95Ms: number | null
  /** HIT / (HIT + MISS); null without a cache lookup. BYPASS (not looked up) does not count. */
  cacheHitRate: number | null
}

/** Since the gateway started: the sums of the /metrics counters, quantiles from the cumulative buckets. */
export interface Totals {
  requests: number
  byStatusClass: Record<string, number>
  /** Status >= 500. */
  errors: number
  promptTokens: number
  completionTokens: number
  cache: { HIT: number; MISS: number; BYPASS: number }
  p50Ms: number | null
  p95Ms: number | null
  ttfbP50Ms: number | null
  ttfbP95Ms: number | null
}

/** The part of a stats event that charts draw, kept for the `history` event. */
export type HistorySample = Omit<StatsEvent, 'totals' | 'upstreams'>

/** One upstream of one route as the Overview shows it: no URL, key or header, only its name and health. */
export interface UpstreamState {
  route: string
  name: string
  /** The health book's key: route, name and the URL's origin and path (no query, no user info); stable across reloads. */
  id: string
  provider: string
  /** False while cooling down after failures (it is then tried only after every healthy one). */
  up: boolean
  /** Epoch ms the cooldown ends; null when up. */
  coolingUntil: number | null
  consecutiveFailures: number
  /** Requests at it now. */
  inflight: number
}

/** The routing decision of one relayed request, as the playground shows it beside the answer. */
export interface Decision {
  requestId: string
  /** The status the client got. */
  status: number
  route: string | null
  model: string | null
  /** The upstream whose answer was relayed. */
  upstream: string | null
  provider: string | null
  /** The model that upstream was asked for (after its models.map). */
  upstreamModel: string | null
  /** Every try, in order: the upstream's status, or why it gave no usable answer (`reason`). */
  attempts: ({ upstream: string; status: number; durationMs: number } | { upstream: string; reason: string; durationMs: number })[]
  cache: CacheStatus | null
  tokens: { prompt: number; completion: number; total: number; source: TokensSource } | null
  /** Ms from arrival at the relay to the first byte of the answer's body. */
  firstByteMs: number | null
  totalMs: number
  error: string | null
}

/** One entry of the admin audit log (issue 15 point 6): who did what, when, from where; secrets masked. */
export interface AuditEntry {
  /** Set by the store: entries are listed by it, newest first. */
  seq?: number
  /** Epoch ms. */
  time: number
  /** The role and how it was authenticated, e.g. `admin (session)`. */
  actor: string
  /** The client address the request came from. */
  address: string
  /** What happened: `login`, `login-refused`, `logout`, `config-change`, `config-export`, `playground-chat`. */
  action: string
  /** One line saying it. */
  summary: string
  /** For a config change: the unified diff of the masked document, before → after. */
  diff?: string
}
