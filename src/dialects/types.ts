import type { AssembledCompletion } from '../answers/chat-assembler.js'
import type { AnswerListener, TokenUsage } from '../answers/listener.js'
import type { ChatRequest } from '../chat/request.js'

/**
 * A client dialect: an API a client may speak to the gateway (OpenAI chat completions, Anthropic
 * Messages, OpenAI Responses). The endpoint decides the dialect; the dialect decides how the request
 * is read into the canonical ChatRequest (for upstreams that speak another API), how the answer
 * stream is written back, and what an error looks like. Providers never see a dialect's JSON: they
 * translate from the ChatRequest and decode into the answer stream, so each pair (dialect in,
 * provider out) comes for free. A dialect names no provider.
 */
export type DialectName = 'openai-chat' | 'anthropic-messages' | 'openai-responses'

export interface ClientDialect {
  readonly name: DialectName
  /**
   * The client's request body read into canonical form, `model` already the upstream's (after its
   * model map). Throws a RelayError (400, param naming the field) for what the dialect's own API would
   * refuse as malformed, or for what the gateway cannot translate without changing its meaning.
   */
  readRequest(json: Record<string, unknown>, model: string): ChatRequest
  /** The answer's id as this dialect writes it (`chatcmpl-...`, `msg_...`, `resp_...`), from the upstream's. */
  answerId(upstreamId: string): string
  /** A writer of one streamed answer in this dialect: it hears the answer stream and writes SSE events. */
  streamWriter(options: StreamWriterOptions): DialectStreamWriter
  /** One whole (non-streamed) answer in this dialect, as a JSON text. */
  plainAnswer(completion: AssembledCompletion, options: PlainAnswerOptions): string
  /** An error answer of the gateway's or an upstream's (in OpenAI's terms) as this dialect's client expects it: status, JSON body. */
  errorAnswer(error: ClientError): { status: number; body: string }
  /**
   * The SSE text that ends a stream which broke after its first byte, in this dialect (written, then
   * the connection is cut; no end-of-stream marker follows). Used where no writer of this dialect
   * holds the stream (an answer relayed as it came); a writer's own fail() is preferred when there is one.
   */
  streamError(error: ClientError): string
}

/**
 * An error in OpenAI's terms, the gateway's own (a RelayError: `code` is its RELAY_ERR_* code) or
 * an upstream's read by its provider (`code` is OpenAI's: `overloaded`, `rate_limit_exceeded`, ...).
 * Each dialect maps it to its own envelope (translation.md §7.4).
 */
export interface ClientError {
  status: number
  message: string
  /** OpenAI's error type: invalid_request_error, authentication_error, permission_error, rate_limit_error, api_error, server_error, ... */
  type: string
  code: string | null
  param: string | null
  /** Field by field problems (a refused config change): OpenAI's envelope carries them as `issues`. */
  issues?: { path: string; problem: string }[]
  /** The gateway's request id, for envelopes that carry one (Anthropic's `request_id`). */
  requestId?: string
}

export interface StreamWriterOptions {
  /** Writes one or more whole SSE events (each ending with a blank line). */
  write(events: string): void
  /** The client asked for usage in its stream (OpenAI chat's stream_options.include_usage); dialects that always carry usage ignore it. */
  withUsage: boolean
  /** The model named in the answer: the client's name for it, also when a model map sent another to the upstream. */
  model: string | undefined
  /** The prompt's estimated tokens, for a dialect that must state input tokens before the upstream does (Anthropic's message_start). */
  promptEstimate(): number
}

export interface PlainAnswerOptions {
  /** The model named in the answer (the client's name for it). */
  model: string | undefined
}

/**
 * Hears the answer stream (the AnswerListener calls, in order: start, then content, then finish and
 * usage) and writes the dialect's events as they come, never holding text back. Calls after fail()
 * or end() are ignored.
 */
export interface DialectStreamWriter extends AnswerListener {
  /** Whether the upstream reported its usage (else the gateway gives its count with usage() before end()). */
  readonly hasUsage: boolean
  /** The upstream's answer ended whole: the dialect's closing events (OpenAI's usage chunk and [DONE], Anthropic's message_delta and message_stop, Responses' response.completed). */
  end(): void
  /** The answer broke off after the stream began: the dialect's in-stream error event(s). No closing events follow. */
  fail(error: ClientError): void
}

export type { TokenUsage }
