import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import type { AnswerListener } from '../answers/listener.js'
import type { ChatRequest } from '../chat/request.js'
import type { DialectName } from '../dialects/types.js'
import type { Endpoint } from '../routing/endpoint.js'
import type { Exchange } from '../upstream/exchange.js'

/**
 * How one kind of upstream differs from plain OpenAI (STYLE.md §6.2). A provider is bound once per
 * upstream to its settings (bind() in its folder's index.ts) and then asked per attempt. Pure: no
 * Fastify, no storage, no logging; only an exchange strategy (Replicate's predictions) does I/O, on
 * the dispatcher it is handed. The core never names a provider: every quirk is a member here.
 */

/** Headers of one upstream attempt, lower-case names. */
export type OutboundHeaders = Record<string, string | string[] | undefined>

/** The client's request as one attempt sees it. */
export interface AttemptRequest {
  method: string
  /** The path after the route prefix, with the client's query: appended to the upstream's base path when nothing is translated. */
  rest: string
  endpoint: Endpoint
  /** The JSON body on an openai route; undefined for other bodies. */
  json: Record<string, unknown> | undefined
  /** The bytes to send when nothing is rewritten (the gateway may have added include_usage). */
  body: Buffer | undefined
  /** The client asked for a stream. */
  stream: boolean
  /** The model for this upstream: the client's, after the upstream's model map. */
  model: string | undefined
  /**
   * The API the client speaks, on endpoints that ask for an answer (chat, messages, responses,
   * count_tokens); undefined elsewhere. A provider that speaks the same API relays the request as it is;
   * one that speaks another translates it from chat().
   */
  dialect: DialectName | undefined
  /** The client's request in canonical form, read from its dialect on first need (only translating providers ask). */
  chat(): ChatRequest
  /** One of the client's request headers (lower-case name), for a provider that passes a client's API options on (anthropic-beta). */
  clientHeader(name: string): string | undefined
}

/** Where the upstream is: its URL's path (no trailing slash) and query (no `?`). */
export interface UpstreamTarget {
  basePath: string
  baseQuery: string
}

export interface PreparedAttempt {
  method: string
  /** Path and query on the upstream's origin, starting with `/`. */
  path: string
  body: Buffer | string | null
  /** Headers this provider sets on the attempt (a translated body's content-type, anthropic-version, ...). */
  headers?: Readonly<Record<string, string>>
  /** Body fields left out because this provider has no place for them, named in `x-relay-dropped-params`. */
  dropped?: readonly string[]
  /** How the answer is read and translated; undefined when it comes in the client's own dialect and is relayed as it comes. */
  answer?: AnswerTranslation
  /**
   * For an answer relayed as it comes in a dialect other than OpenAI's (Anthropic's to an Anthropic
   * client): how it is read for the usage meter, and its errors in OpenAI's terms (for failover).
   */
  reader?: AnswerTranslation
  /** An event of an OpenAI stream that this provider adds and OpenAI clients cannot read (Azure's filter chunk): dropped. */
  dropEvent?: (event: Buffer) => boolean
  /** An attempt that is more than one HTTP exchange (Replicate: create, then stream or poll, cancel when left). */
  exchange?: (dispatch: DispatchFn, request: Dispatcher.DispatchOptions) => Exchange
}

export type DispatchFn = (request: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => void

/** The native answer read into the answer stream, and the native error read as OpenAI's. */
export interface AnswerTranslation {
  decoder(options: DecoderOptions): AnswerDecoder
  /** An error answer (status >= 400) in OpenAI's terms. */
  error(status: number, headers: IncomingHttpHeaders, body: Buffer): UpstreamError
}

export interface DecoderOptions {
  stream: boolean
  listener: AnswerListener
  /** The upstream said, inside its answer, that it failed (an `error` event). Called at most once; nothing is read after it. */
  fail: (failure: UpstreamError) => void
}

export interface AnswerDecoder {
  /** The native answer's bytes, as they come. */
  push(chunk: Buffer): void
  /** The native answer ended: whether it ended as a whole answer (a stream's last event was seen) or broke off. */
  end(): 'complete' | 'incomplete'
}

/**
 * An upstream's error in OpenAI's terms (translation.md §7.4): the status the client sees (529
 * overloaded → 503, 422 → 400, ...), OpenAI's error body fields, and when to try again.
 */
export interface UpstreamError {
  status: number
  message: string
  type: string
  code: string | null
  param?: string | null
  retryAfterMs?: number | undefined
}

/** A provider bound to one upstream's settings: what the core calls. */
export interface UpstreamProvider {
  /** For records and logs only. */
  readonly name: string
  /** Lower-case names of every header that can carry a credential; a client's are never forwarded when the gateway sets or withholds the key. */
  readonly credentialHeaders: ReadonlySet<string>
  /** Puts the upstream key where this provider expects it. Never in the URL. */
  setKey(headers: OutboundHeaders, key: string): void
  /** Whether requests for this endpoint can be sent here at all (a chat-only provider takes no embeddings). */
  serves(endpoint: Endpoint): boolean
  /** The attempt as this provider wants it. Throws a RelayError (400) for a request it cannot take without changing its meaning. */
  prepare(request: AttemptRequest, target: UpstreamTarget): PreparedAttempt
}
