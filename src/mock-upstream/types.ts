import type { IncomingHttpHeaders } from 'node:http'

/** How the mock misbehaves at the transport level; `none` answers normally. */
export type MockFault = 'none' | 'reset' | 'hang' | 'truncate' | 'malformed' | 'flood'

/**
 * What the mock does with one request. Server-wide values are the defaults; a request can
 * override them with `x-mock-*` headers or a JSON body field `mock` (headers win over the body).
 */
export interface MockBehaviour {
  /** Answer with this status; from 400 on, with an OpenAI-style error body. */
  status: number
  /**
   * reset: destroy the socket before any response; hang: never answer (until the client leaves);
   * truncate: send half the SSE chunks or half the JSON body, then destroy the socket; malformed:
   * every SSE event's JSON (or the JSON body) cut in half, the answer otherwise whole; flood: a JSON
   * body of 256 MB (a gigantic answer), written as fast as the client takes it.
   */
  fault: MockFault
  /** Wait this long before sending response headers (slow time to first byte). */
  headersDelayMs: number
  /** Content chunks in a streamed completion; also the completion token count. */
  chunks: number
  /** Gap between SSE events. */
  chunkDelayMs: number
  /** Sets a Retry-After header on the answer; empty or absent sends none. */
  retryAfter?: string
  /** Include usage in answers; in streams only when `stream_options.include_usage` is true. */
  usage: boolean
  /** Answer with reasoning (thinking) text before the content, in each API's own way. */
  reasoning: boolean
  /** Report this many prompt tokens as read from a prompt cache. */
  cachedTokens: number
  /** Tool calls in one answer when the request offers tools (parallel calls). */
  toolCalls: number
  /** Break a stream in the middle with an error event in the API's own format (Anthropic overloaded, ...). */
  streamError: boolean
}

export interface MockUpstreamOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0 (a free port). */
  port?: number
  /** Keep received requests in `requests` (default true); turn off for benchmarks. */
  record?: boolean
  /** Server-wide defaults, validated like every other source of behaviour. */
  behaviour?: Partial<MockBehaviour>
}

export interface MockRequest {
  method: string
  /** Path and query as received. */
  url: string
  headers: IncomingHttpHeaders
  /** The raw body bytes; empty until the body has been read. */
  body: Buffer
  /** True when the client left before the mock finished answering. */
  aborted: boolean
  /** performance.now() when the request's headers arrived: tests time gaps between requests by it, not by when they noticed them. */
  receivedAt: number
}

export interface MockUpstream {
  /** http://HOST:PORT, without a trailing slash. */
  url: string
  port: number
  /** Received requests in order (only when `record` is on). */
  requests: MockRequest[]
  /** Merge into the server-wide behaviour; throws on an invalid value. */
  setBehaviour(behaviour: Partial<MockBehaviour>): void
  /** Clear requests and aborts, and restore the behaviour the server started with. */
  reset(): void
  /** How many requests the client abandoned before the mock finished answering. */
  aborted(): number
  /**
   * Resolves once an abort has been recorded that no earlier call has consumed, so
   * `abort; await waitForAbort()` works whichever happens first. Rejects after `timeoutMs`
   * (default 5000).
   */
  waitForAbort(timeoutMs?: number): Promise<void>
  /** Stop listening and destroy every open socket. */
  close(): Promise<void>
}
