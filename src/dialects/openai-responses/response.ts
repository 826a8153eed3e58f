import { randomBytes } from 'node:crypto'
import type { TokenUsage } from '../../answers/listener.js'

/**
 * The `response` object both the stream (in its lifecycle events) and a plain answer carry. The
 * gateway does not hear the request's echo fields (instructions, tools, sampling), so those are
 * null or the API's defaults, never guessed; openai-node computes `output_text` itself.
 */

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed'

export interface ResponseFields {
  id: string
  createdAt: number
  model: string
  status: ResponseStatus
  output: readonly object[]
  usage: TokenUsage | undefined
  incompleteReason?: string | undefined
  error?: { code: string; message: string } | undefined
}

export function responseObject(fields: ResponseFields): Record<string, unknown> {
  const { status } = fields
  return {
    id: fields.id,
    object: 'response',
    created_at: fields.createdAt,
    status,
    ...(status === 'completed' && { completed_at: Math.floor(Date.now() / 1000) }),
    background: false,
    error: fields.error ?? null,
    incomplete_details: fields.incompleteReason === undefined ? null : { reason: fields.incompleteReason },
    instructions: null,
    metadata: {},
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    store: false,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    usage: fields.usage === undefined ? null : responsesUsage(fields.usage),
  }
}

/** TokenUsage in the Responses API's words (translation.md §7.3): the same counts, other names. */
export function responsesUsage(usage: TokenUsage): Record<string, unknown> {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens ?? 0, ...(usage.cacheWriteTokens !== undefined && { cache_write_tokens: usage.cacheWriteTokens }) },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  }
}

/** How a chat finish reason ends a response (translation.md §7.2): length and content_filter leave it incomplete. */
export function endingOf(finishReason: string | null | undefined): { status: 'completed' | 'incomplete'; reason?: string } {
  if (finishReason === 'length') return { status: 'incomplete', reason: 'max_output_tokens' }
  if (finishReason === 'content_filter') return { status: 'incomplete', reason: 'content_filter' }
  return { status: 'completed' }
}

/** A response id: `resp_` and the upstream's id in the characters ids use, or a random one. */
export function responseId(upstreamId: string): string {
  if (upstreamId.startsWith('resp_')) return upstreamId
  const id = upstreamId.replace(/[^A-Za-z0-9_-]/g, '')
  return `resp_${id === '' ? randomHex() : id}`
}

/** Random hex for ids (`rs_`, `msg_`, `fc_` items), as OpenAI's ids look. */
export function randomHex(): string {
  return randomBytes(16).toString('hex')
}

/** Output items as the API writes them when done. */
export function messageItem(id: string, status: string, content: readonly object[]): object {
  return { id, type: 'message', role: 'assistant', status, content }
}

export function outputText(text: string): object {
  return { type: 'output_text', text, annotations: [], logprobs: [] }
}

export function refusalPart(refusal: string): object {
  return { type: 'refusal', refusal }
}

export function reasoningItem(id: string, text: string): object {
  return { id, type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text }] }
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: string): object {
  return { id, type: 'function_call', call_id: callId, name, arguments: args, status }
}
