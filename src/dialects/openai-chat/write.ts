import { openaiUsage, type AssembledCompletion } from '../../answers/chat-assembler.js'
import type { AnswerHead, TokenUsage } from '../../answers/listener.js'
import type { ClientError, DialectStreamWriter } from '../types.js'
import { openaiStreamError } from './errors.js'

/**
 * The answer stream written out as OpenAI chat completions: an SSE stream of
 * `chat.completion.chunk`s (ChatStreamWriter) or one `chat.completion` (plainCompletion). Used for
 * answers that did not come from OpenAI-compatible upstreams (translated ones) and for answers
 * replayed from the cache. Chunks follow OpenAI's order (translation.md §8, invariant O): a role
 * chunk first, a tool call's id, type and name in its first fragment and only arguments after, one
 * finish per choice, the usage chunk only when asked for, then `[DONE]`.
 */

export interface ChatStreamOptions {
  /** Writes one whole SSE event. */
  write: (event: string) => void
  /** The client asked for usage (stream_options.include_usage): `"usage":null` on every chunk and a last usage chunk. */
  withUsage: boolean
  /** The model named in every chunk, when it should not be the answer's own (the client's name for a mapped model). */
  model?: string | undefined
}

/** An AnswerListener used only to collect calls (a cache replay's). */
type Listener = Pick<DialectStreamWriter, 'start' | 'text' | 'reasoning' | 'refusal' | 'toolCall' | 'toolArguments' | 'finish' | 'usage'>

/** An id in OpenAI's form for an answer translated from another provider: chat completion ids start with `chatcmpl-`. */
export function chatCompletionId(id: string): string {
  return id.startsWith('chatcmpl-') ? id : `chatcmpl-${id === '' ? Date.now().toString(36) : id}`
}

export class ChatStreamWriter implements DialectStreamWriter {
  private head = ''
  private closed = false
  private readonly tail: string
  private readonly opened = new Set<number>()
  private usageSeen: TokenUsage | undefined

  constructor(private readonly options: ChatStreamOptions) {
    this.tail = options.withUsage ? ',"usage":null}' : '}'
  }

  start(head: AnswerHead): void {
    const model = this.options.model ?? head.model
    this.head = `{"id":${JSON.stringify(head.id)},"object":"chat.completion.chunk","created":${head.created},"model":${JSON.stringify(model)},"system_fingerprint":${JSON.stringify(head.systemFingerprint ?? null)},"choices":`
    // The stream starts for the client when it starts upstream: the role chunk goes now, not with the first text.
    this.open(0, '')
  }

  text(choice: number, text: string): void {
    this.open(choice, '')
    this.chunk(choice, { content: text }, null)
  }

  reasoning(choice: number, text: string): void {
    this.open(choice, '')
    this.chunk(choice, { reasoning_content: text }, null)
  }

  refusal(choice: number, text: string): void {
    this.open(choice, '')
    this.chunk(choice, { refusal: text }, null)
  }

  toolCall(choice: number, call: number, id: string, name: string): void {
    this.open(choice, null)
    this.chunk(choice, { tool_calls: [{ index: call, id, type: 'function', function: { name, arguments: '' } }] }, null)
  }

  toolArguments(choice: number, call: number, fragment: string): void {
    this.open(choice, null)
    this.chunk(choice, { tool_calls: [{ index: call, function: { arguments: fragment } }] }, null)
  }

  finish(choice: number, reason: string): void {
    this.open(choice, '')
    this.chunk(choice, {}, reason)
  }

  usage(usage: TokenUsage): void {
    this.usageSeen = usage
  }

  /** Whether the upstream reported its usage. */
  get hasUsage(): boolean {
    return this.usageSeen !== undefined
  }

  /** The answer is complete: the usage chunk when asked for and known, then `[DONE]`. */
  end(): void {
    if (this.closed) return
    this.closed = true
    if (this.options.withUsage && this.usageSeen !== undefined) this.options.write(`data: ${this.head}[],"usage":${JSON.stringify(openaiUsage(this.usageSeen))}}\n\n`)
    this.options.write('data: [DONE]\n\n')
  }

  fail(error: ClientError): void {
    if (this.closed) return
    this.closed = true
    this.options.write(openaiStreamError(error))
  }

  /** A choice's first chunk says who speaks: content '' before text, null before a tool call (as OpenAI sends them). */
  private open(choice: number, content: '' | null): void {
    if (this.opened.has(choice)) return
    this.opened.add(choice)
    this.chunk(choice, { role: 'assistant', content, refusal: null }, null)
  }

  private chunk(choice: number, delta: object, finishReason: string | null): void {
    if (this.closed) return
    if (this.head === '') this.start({ id: '', model: '', created: Math.floor(Date.now() / 1000) })
    this.options.write(`data: ${this.head}[${JSON.stringify({ index: choice, delta, logprobs: null, finish_reason: finishReason })}]${this.tail}\n\n`)
  }
}

/** One `chat.completion`, as OpenAI answers a plain request. */
export function plainCompletion(completion: AssembledCompletion, model?: string): string {
  const choices = completion.choices.map(({ index, message: { role, content, refusal, ...rest }, finish_reason }) => ({
    index,
    // OpenAI always names the refusal, null when there is none.
    message: { role, content, refusal: refusal ?? null, ...rest },
    logprobs: null,
    finish_reason,
  }))
  return JSON.stringify({
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: model ?? completion.model,
    choices,
    usage: completion.usage,
    system_fingerprint: completion.system_fingerprint,
  })
}

/** A stored completion read back into the answer stream (the cache's replay goes through the same writers). */
export function replayCompletion(completion: AssembledCompletion, listener: Listener, usage: TokenUsage | undefined): void {
  listener.start({ id: completion.id, model: completion.model, created: completion.created, systemFingerprint: completion.system_fingerprint })
  for (const choice of completion.choices) {
    const { message } = choice
    if (message.reasoning_content) listener.reasoning(choice.index, message.reasoning_content)
    if (message.content) listener.text(choice.index, message.content)
    if (message.refusal) listener.refusal(choice.index, message.refusal)
    message.tool_calls?.forEach((call, index) => {
      listener.toolCall(choice.index, index, call.id, call.function.name)
      if (call.function.arguments !== '') listener.toolArguments(choice.index, index, call.function.arguments)
    })
    if (choice.finish_reason !== null) listener.finish(choice.index, choice.finish_reason)
  }
  if (usage !== undefined) listener.usage(usage)
}
