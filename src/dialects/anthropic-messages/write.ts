import type { AnswerHead, TokenUsage } from '../../answers/listener.js'
import type { ClientError, DialectStreamWriter, StreamWriterOptions } from '../types.js'
import { messageUsage, stopReason } from './ending.js'
import { streamError } from './errors.js'
import { answerId, toolUseId } from './ids.js'
import { JsonEnd } from './json-end.js'

type BlockKind = 'text' | 'thinking' | 'tool'

/** A block that cannot be opened yet, with what arrived for it so far. */
interface Waiting {
  kind: BlockKind
  call: number
  id: string
  name: string
  buffer: string
}

/**
 * The answer stream written as Anthropic Messages events (translation.md §6a "Stream synthesis
 * rules", §8 invariant A): one message_start, then content blocks one at a time with dense indices,
 * then message_delta with the stop reason and usage, then message_stop. Only choice 0 is written
 * (Anthropic has no choices). State lives in the instance: one writer per answer.
 *
 * Fragments of tool calls may interleave (a server that streams two calls at once). A block that is
 * closed cannot be written to again, so the open tool_use block stays open until its arguments form
 * a whole JSON value (JsonEnd), or the answer finishes; whatever arrives meanwhile for other blocks
 * (a later call's start and arguments, text) waits in `waiting` in arrival order, and is written
 * when its block opens. Only whitespace may follow a whole JSON value, so a call closed early loses
 * nothing of meaning.
 */
export class AnthropicStreamWriter implements DialectStreamWriter {
  private started = false
  private done = false
  private index = -1
  private open: BlockKind | undefined
  private openCall = -1
  private readonly openArgs = new JsonEnd()
  /** Per tool call index: whether its block is waiting, open or closed (undefined: not begun). */
  private readonly calls: ('waiting' | 'open' | 'closed')[] = []
  private readonly waiting: Waiting[] = []
  private toolWritten = false
  private finishReason: string | undefined
  private usageSeen: TokenUsage | undefined
  private estimate = 1

  constructor(private readonly options: StreamWriterOptions) {}

  get hasUsage(): boolean {
    return this.usageSeen !== undefined
  }

  start(head: AnswerHead): void {
    if (this.started || this.done) return
    this.started = true
    const estimate = this.options.promptEstimate()
    // Clients read input_tokens here and break on 0 (vercel/ai #17326): the estimate, at least 1.
    this.estimate = Number.isFinite(estimate) && estimate >= 1 ? Math.ceil(estimate) : 1
    const message = {
      id: answerId(head.id),
      type: 'message',
      role: 'assistant',
      model: this.options.model ?? head.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: this.estimate, output_tokens: 1 },
    }
    this.event('message_start', `{"type":"message_start","message":${JSON.stringify(message)}}`)
  }

  text(choice: number, text: string): void {
    if (choice === 0 && text !== '') this.content('text', text)
  }

  reasoning(choice: number, text: string): void {
    if (choice === 0 && text !== '') this.content('thinking', text)
  }

  /** Anthropic has no refusal block: a refusal is said in text, and the stop reason says `refusal`. */
  refusal(choice: number, text: string): void {
    if (choice === 0 && text !== '') this.content('text', text)
  }

  toolCall(choice: number, call: number, id: string, name: string): void {
    if (choice !== 0 || this.done) return
    this.ensureStarted()
    if (this.calls[call] !== undefined) {
      // A repeated start (some servers repeat the id or send the name in pieces) can still join a waiting call.
      const entry = this.waitingCall(call)
      if (entry !== undefined) {
        if (entry.id === '') entry.id = id
        if (entry.name !== name) entry.name += name
      }
      return
    }
    if (this.mustWait()) {
      this.calls[call] = 'waiting'
      this.waiting.push({ kind: 'tool', call, id, name, buffer: '' })
      return
    }
    this.closeOpen()
    this.openTool(call, id, name)
  }

  toolArguments(choice: number, call: number, fragment: string): void {
    if (choice !== 0 || this.done || fragment === '') return
    if (this.calls[call] === undefined) this.toolCall(choice, call, '', '')
    const state = this.calls[call]
    if (state === 'open') {
      this.delta(`{"type":"input_json_delta","partial_json":${JSON.stringify(fragment)}}`)
      this.openArgs.feed(fragment)
      this.advance()
    } else if (state === 'waiting') {
      this.waitingCall(call)!.buffer += fragment
    }
  }

  /** The open block is closed and every waiting one written; the stop reason is held until end(), when the usage is known. */
  finish(choice: number, reason: string): void {
    if (choice !== 0 || this.done) return
    this.ensureStarted()
    this.flush()
    this.finishReason = reason
  }

  usage(usage: TokenUsage): void {
    if (!this.done) this.usageSeen = usage
  }

  end(): void {
    if (this.done) return
    this.ensureStarted()
    this.flush()
    this.done = true
    const delta = { stop_reason: stopReason(this.finishReason, this.toolWritten), stop_sequence: null }
    this.event('message_delta', `{"type":"message_delta","delta":${JSON.stringify(delta)},"usage":${JSON.stringify(messageUsage(this.usageSeen, this.estimate))}}`)
    this.event('message_stop', '{"type":"message_stop"}')
  }

  /** An error event and nothing after it: no block is closed, no message_stop follows (the SDK throws on the event). */
  fail(error: ClientError): void {
    if (this.done) return
    this.done = true
    this.options.write(streamError(error))
  }

  private content(kind: 'text' | 'thinking', text: string): void {
    if (this.done) return
    this.ensureStarted()
    if (this.mustWait()) {
      const last = this.waiting.at(-1)
      if (last?.kind === kind) last.buffer += text
      else this.waiting.push({ kind, call: -1, id: '', name: '', buffer: text })
      return
    }
    if (this.open !== kind) {
      this.closeOpen()
      this.openBlock(kind === 'text' ? '{"type":"text","text":""}' : '{"type":"thinking","thinking":"","signature":""}', kind)
    }
    this.write(kind, text)
  }

  /** Whether new content must wait: the open tool call's arguments are not whole yet (and so nothing waiting could go before it). */
  private mustWait(): boolean {
    return this.waiting.length > 0 || (this.open === 'tool' && !this.openArgs.complete)
  }

  /** Opens waiting blocks, in order, for as long as the open one is done. */
  private advance(): void {
    while (this.waiting.length > 0 && !(this.open === 'tool' && !this.openArgs.complete)) {
      this.closeOpen()
      this.openWaiting(this.waiting.shift()!)
    }
  }

  /** Closes the open block and writes every waiting one: nothing more can come for them. */
  private flush(): void {
    this.closeOpen()
    for (let next = this.waiting.shift(); next !== undefined; next = this.waiting.shift()) {
      this.openWaiting(next)
      this.closeOpen()
    }
  }

  private openWaiting(entry: Waiting): void {
    if (entry.kind !== 'tool') {
      this.openBlock(entry.kind === 'text' ? '{"type":"text","text":""}' : '{"type":"thinking","thinking":"","signature":""}', entry.kind)
      this.write(entry.kind, entry.buffer)
      return
    }
    this.openTool(entry.call, entry.id, entry.name)
    if (entry.buffer !== '') {
      this.delta(`{"type":"input_json_delta","partial_json":${JSON.stringify(entry.buffer)}}`)
      this.openArgs.feed(entry.buffer)
    }
  }

  private openTool(call: number, id: string, name: string): void {
    this.calls[call] = 'open'
    this.openCall = call
    this.openArgs.reset()
    this.toolWritten = true
    this.openBlock(`{"type":"tool_use","id":${JSON.stringify(toolUseId(id))},"name":${JSON.stringify(name)},"input":{}}`, 'tool')
  }

  private openBlock(block: string, kind: BlockKind): void {
    this.index++
    this.open = kind
    this.event('content_block_start', `{"type":"content_block_start","index":${this.index},"content_block":${block}}`)
  }

  private closeOpen(): void {
    if (this.open === undefined) return
    if (this.open === 'tool') this.calls[this.openCall] = 'closed'
    this.open = undefined
    this.event('content_block_stop', `{"type":"content_block_stop","index":${this.index}}`)
  }

  private write(kind: 'text' | 'thinking', text: string): void {
    if (kind === 'text') this.delta(`{"type":"text_delta","text":${JSON.stringify(text)}}`)
    else this.delta(`{"type":"thinking_delta","thinking":${JSON.stringify(text)}}`)
  }

  private delta(delta: string): void {
    this.event('content_block_delta', `{"type":"content_block_delta","index":${this.index},"delta":${delta}}`)
  }

  private waitingCall(call: number): Waiting | undefined {
    return this.waiting.find((entry) => entry.kind === 'tool' && entry.call === call)
  }

  private ensureStarted(): void {
    if (!this.started) this.start({ id: '', model: '', created: Math.floor(Date.now() / 1000) })
  }

  /** `event:` named as data.type: the SDK dispatches on the event name and ignores unnamed events. */
  private event(type: string, data: string): void {
    this.options.write(`event: ${type}\ndata: ${data}\n\n`)
  }
}
