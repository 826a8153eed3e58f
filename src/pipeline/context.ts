import type { IncomingMessage, ServerResponse } from 'node:http'
import { anonymous, type ClientIdentity } from '../access/client-keys.js'
import { UsageMeter } from '../answers/usage-meter.js'
import type { CacheFill } from '../cache/cache-fill.js'
import { dialectOf, type ClientDialect } from '../dialects/index.js'
import type { RecordLevel } from '../records/record.js'
import type { RelayError } from '../errors.js'
import type { TokenReservation } from '../limits/token-quotas.js'
import type { Cancellable } from '../upstream/exchange.js'
import type { TransportFailure } from '../upstream/errors.js'
import { pathnameOf } from '../http/pathname.js'
import { endpointOf, type Endpoint } from '../routing/endpoint.js'
import type { CompiledRoute, CompiledUpstream } from '../routing/route-table.js'
import type { Runtime } from '../runtime.js'

export interface AttemptFailure {
  upstream: string
  /** An HTTP status from the upstream, or a transport failure kind. */
  reason: number | TransportFailure
  /** The status in OpenAI's terms when the upstream's provider speaks another API (Anthropic's 529 is 503). */
  status?: number | undefined
  timeout: boolean
  /** From the upstream's Retry-After, when it sent one. */
  retryAfterMs?: number | undefined
  /** How long the attempt took until it failed (a broken stream: since its headers). */
  durationMs: number
}

export interface Outcome {
  status: number | undefined
  /** Name of the upstream whose answer was relayed. */
  upstream: string | undefined
  /** The API it speaks, and the model it was asked for when its model map renamed the client's. */
  provider: string | undefined
  upstreamModel: string | undefined
  attempts: number
  failures: AttemptFailure[]
  error: RelayError | undefined
  /** The answer was relayed to its end (a stream included). */
  completed: boolean
  /** The relayed attempt's wait for the upstream's headers, in ms. */
  upstreamHeadersMs: number | undefined
  /** How many failures there were when the relayed answer was chosen: later ones are that answer breaking off. */
  failuresBeforeRelay: number
}

/** The typed state of one request as it moves through the stages. */
export class RelayContext {
  readonly runtime: Runtime
  readonly id: string
  readonly request: IncomingMessage
  readonly response: ServerResponse
  readonly method: string
  /** Path and query exactly as the client sent them. */
  readonly url: string
  readonly startedAt = performance.now()
  /** The client went away; whatever is in progress for it is cancelled (an upstream call costs money). */
  clientGone = false
  /** What to cancel when the client leaves: the upstream attempt or backoff wait in progress. */
  cancelOnDisconnect: Cancellable | undefined
  clientIp = ''
  body: Buffer | undefined
  route!: CompiledRoute
  /** The request path without its query. */
  readonly pathname: string
  /** Which endpoint the path is, on openai routes ('other' elsewhere). */
  endpoint: Endpoint = 'other'
  /** Which endpoint the path is, on any route: what the dialect is decided by, and the endpoint once an openai route is chosen. */
  readonly pathEndpoint: Endpoint
  /** The API the client speaks, by the path it calls (on any route): how its request is read and its answers and errors are written. */
  readonly dialect: ClientDialect
  /** The path after the route prefix, with the query string. */
  rest = ''
  tokenHash: string | undefined
  identity: ClientIdentity = anonymous
  /** The JSON body of an openai route, when it is one. */
  json: Record<string, unknown> | undefined
  model: string | undefined
  stream = false
  candidates: CompiledUpstream[] = []
  /** Reads the answer's token usage as it is relayed; set when something needs it (token quotas). */
  usageMeter: UsageMeter | undefined
  /** The body with stream_options.include_usage added, for upstreams that may be asked (upstream.streamUsage). */
  bodyAskingUsage: Buffer | undefined
  jsonAskingUsage: Record<string, unknown> | undefined
  /** The relayed attempt was sent bodyAskingUsage: the usage chunk and `usage: null` members are hidden again. */
  hideStreamUsage = false
  /** Tokens taken from quotas on admission, settled with the real usage when the request finishes. */
  tokenReservation: TokenReservation | undefined
  /** What this request's record keeps; undefined until a route is known (then the records default applies). */
  recordLevel: RecordLevel | undefined
  /** The body's `caching` field (OpenAI-Forward's per-request cache switch), taken out of the body. */
  cachingFlag: boolean | undefined
  /** HIT, MISS or BYPASS on paths a route caches; undefined elsewhere. */
  cacheStatus: 'HIT' | 'MISS' | 'BYPASS' | undefined
  /** Set on a cache miss whose answer is to be stored. */
  cacheFill: CacheFill | undefined
  /** Headers every answer to this request carries (e.g. x-ratelimit-*). */
  responseHeaders: Record<string, string> | undefined
  readonly outcome: Outcome = { status: undefined, upstream: undefined, provider: undefined, upstreamModel: undefined, attempts: 0, failures: [], error: undefined, completed: false, upstreamHeadersMs: undefined, failuresBeforeRelay: 0 }
  /** performance.now() when the answer's headers went to the client, and when its first body byte did. */
  headersAt: number | undefined
  firstByteAt: number | undefined

  constructor(runtime: Runtime, id: string, request: IncomingMessage, response: ServerResponse) {
    this.runtime = runtime
    this.id = id
    this.request = request
    this.response = response
    this.method = request.method ?? 'GET'
    this.url = request.url ?? '/'
    this.pathname = pathnameOf(this.url)
    this.pathEndpoint = endpointOf(this.pathname)
    this.dialect = dialectOf(this.pathEndpoint)
  }

  /**
   * The usage meter, made by the first stage that needs the answer's usage (records, the cache,
   * token quotas): whichever order they run in, there is one, and the stages after it see it.
   */
  needUsage(): UsageMeter {
    return (this.usageMeter ??= new UsageMeter())
  }

  /** Adds headers every answer to this request carries (x-ratelimit-*, x-relay-*): stages add to them, none replaces another's. */
  addResponseHeaders(headers: Readonly<Record<string, string>>): void {
    this.responseHeaders = this.responseHeaders === undefined ? { ...headers } : Object.assign(this.responseHeaders, headers)
  }

  /** Called once when the client's connection closes before its answer was complete. */
  disconnect(): void {
    this.clientGone = true
    this.cancelOnDisconnect?.cancel()
  }
}
