import type { AnswerHead, TokenUsage } from '../../answers/listener.js'
import type { ClientError, DialectStreamWriter, StreamWriterOptions } from '../types.js'
import { endingOf, functionCallItem, messageItem, outputText, randomHex, reasoningItem, refusalPart, responseId, responseObject, type ResponseFields, type ResponseStatus } from './response.js'

/**
 * The answer stream written as the Responses API streams it (translation.md §6b, invariant R of
 * §8): `event:` equal to the payload's `type`, `sequence_number` rising from 0, response.created and
 * response.in_progress first, every item added, filled by deltas and done, and last
 * response.completed (or .incomplete, or .failed) carrying the whole response: Codex reads its tool
 * calls from there, and stops after one turn when they are missing.
 *
 * Text, refusal and reasoning each live in the item open when they come; another kind closes it.
 * Tool calls stay open until the end, since upstreams may interleave their argument fragments.
 */

interface Part {
  type: 'output_text' | 'refusal'
  contentIndex: number
  text: string
  /** `"item_id":…,"output_index":…,"content_index":…`, made once per part. */
  ref: string
}

interface MessageItem {
  kind: 'message'
  id: string
  index: number
  parts: Part[]
  done: object | undefined
}

interface ReasoningItem {
  kind: 'reasoning'
  id: string
  index: number
  text: string
  ref: string
  done: object | undefined
}

interface CallItem {
  kind: 'function_call'
  id: string
  index: number
  callId: string
  name: string
  arguments: string
  ref: string
  done: object | undefined
}

type Item = MessageItem | ReasoningItem | CallItem

export class ResponsesStreamWriter implements DialectStreamWriter {
  private sequence = 0
  private head: AnswerHead | undefined
  private model = ''
  private itemBase = ''
  private readonly items: Item[] = []
  private message: MessageItem | undefined
  private thinking: ReasoningItem | undefined
  private readonly calls: (CallItem | undefined)[] = []
  private finishReason: string | undefined
  private usageSeen: TokenUsage | undefined
  private over = false

  constructor(private readonly options: StreamWriterOptions) {}

  get hasUsage(): boolean {
    return this.usageSeen !== undefined
  }

  start(head: AnswerHead): void {
    if (this.head !== undefined || this.over) return
    this.head = { ...head, id: responseId(head.id) }
    this.model = this.options.model ?? head.model
    this.itemBase = randomHex()
    const response = this.response('in_progress')
    this.emit('response.created', { response })
    this.emit('response.in_progress', { response })
  }

  text(choice: number, text: string): void {
    if (choice !== 0 || text === '' || !this.begin()) return
    const part = this.openPart('output_text')
    part.text += text
    this.delta('response.output_text.delta', `${part.ref},"delta":${JSON.stringify(text)},"logprobs":[]`)
  }

  refusal(choice: number, text: string): void {
    if (choice !== 0 || text === '' || !this.begin()) return
    const part = this.openPart('refusal')
    part.text += text
    this.delta('response.refusal.delta', `${part.ref},"delta":${JSON.stringify(text)}`)
  }

  reasoning(choice: number, text: string): void {
    if (choice !== 0 || text === '' || !this.begin()) return
    this.closeMessage('completed')
    let item = this.thinking
    if (item === undefined) {
      const index = this.items.length
      const id = `rs_${this.itemBase}${index}`
      item = this.thinking = { kind: 'reasoning', id, index, text: '', ref: `"item_id":"${id}","output_index":${index},"content_index":0`, done: undefined }
      this.items.push(item)
      this.emit('response.output_item.added', { output_index: index, item: { id, type: 'reasoning', summary: [], content: [], status: 'in_progress' } })
      this.emit('response.content_part.added', { item_id: id, output_index: index, content_index: 0, part: { type: 'reasoning_text', text: '' } })
    }
    item.text += text
    this.delta('response.reasoning_text.delta', `${item.ref},"delta":${JSON.stringify(text)}`)
  }

  toolCall(choice: number, call: number, id: string, name: string): void {
    if (choice !== 0 || !this.begin()) return
    const existing = this.calls[call]
    if (existing === undefined) {
      this.openCall(call, id, name)
      return
    }
    // Some servers repeat the id on every fragment or send the name in pieces (as ChatAssembler joins them).
    if (existing.callId === '') existing.callId = id
    if (existing.name !== name) existing.name += name
  }

  toolArguments(choice: number, call: number, fragment: string): void {
    if (choice !== 0 || fragment === '' || !this.begin()) return
    const item = this.calls[call] ?? this.openCall(call, '', '')
    item.arguments += fragment
    this.delta('response.function_call_arguments.delta', `${item.ref},"delta":${JSON.stringify(fragment)}`)
  }

  finish(choice: number, reason: string): void {
    if (choice === 0 && !this.over) this.finishReason = reason
  }

  usage(usage: TokenUsage): void {
    if (!this.over) this.usageSeen = usage
  }

  end(): void {
    if (!this.begin()) return
    const { status, reason } = endingOf(this.finishReason)
    // What is still open when the upstream stopped short was cut off with it.
    const itemStatus = status === 'completed' ? 'completed' : 'incomplete'
    this.closeMessage(itemStatus)
    this.closeReasoning(itemStatus)
    for (const call of this.calls) if (call !== undefined) this.closeCall(call, itemStatus)
    this.over = true
    this.emit(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: this.response(status, reason) })
  }

  /**
   * openai-node raises on a payload with an `error` key (core/streaming.ts), so the error event
   * carries OpenAI's nested error beside the documented flat fields; response.failed follows for
   * clients that read it (Codex). Open items are not closed: a done tool call would be run.
   */
  fail(error: ClientError): void {
    if (!this.begin()) return
    this.over = true
    const { code, message, param, type } = error
    this.emit('error', { code, message, param, error: { type, code, message, param } })
    this.emit('response.failed', { response: this.response('failed', undefined, { code: code ?? type, message }) })
  }

  /** Starts the response when start() was not called (answers without a head); false once it is over. */
  private begin(): boolean {
    if (this.over) return false
    if (this.head === undefined) this.start({ id: '', model: '', created: Math.floor(Date.now() / 1000) })
    return true
  }

  private openPart(type: Part['type']): Part {
    this.closeReasoning('completed')
    let item = this.message
    if (item === undefined) {
      const index = this.items.length
      item = this.message = { kind: 'message', id: `msg_${this.itemBase}${index}`, index, parts: [], done: undefined }
      this.items.push(item)
      this.emit('response.output_item.added', { output_index: index, item: messageItem(item.id, 'in_progress', []) })
    }
    const last = item.parts[item.parts.length - 1]
    if (last?.type === type) return last
    if (last !== undefined) this.closePart(item, last)
    const contentIndex = item.parts.length
    const part: Part = { type, contentIndex, text: '', ref: `"item_id":"${item.id}","output_index":${item.index},"content_index":${contentIndex}` }
    item.parts.push(part)
    this.emit('response.content_part.added', { item_id: item.id, output_index: item.index, content_index: contentIndex, part: this.partJson(part, '') })
    return part
  }

  private closePart(item: MessageItem, part: Part): void {
    const at = { item_id: item.id, output_index: item.index, content_index: part.contentIndex }
    if (part.type === 'output_text') this.emit('response.output_text.done', { ...at, text: part.text, logprobs: [] })
    else this.emit('response.refusal.done', { ...at, refusal: part.text })
    this.emit('response.content_part.done', { ...at, part: this.partJson(part, part.text) })
  }

  private partJson(part: Part, text: string): object {
    return part.type === 'output_text' ? outputText(text) : refusalPart(text)
  }

  private closeMessage(status: string): void {
    const item = this.message
    if (item === undefined) return
    this.message = undefined
    const last = item.parts[item.parts.length - 1]
    if (last !== undefined) this.closePart(item, last)
    item.done = messageItem(item.id, status, item.parts.map((part) => this.partJson(part, part.text)))
    this.emit('response.output_item.done', { output_index: item.index, item: item.done })
  }

  private closeReasoning(status: string): void {
    const item = this.thinking
    if (item === undefined) return
    this.thinking = undefined
    const at = { item_id: item.id, output_index: item.index, content_index: 0 }
    this.emit('response.reasoning_text.done', { ...at, text: item.text })
    this.emit('response.content_part.done', { ...at, part: { type: 'reasoning_text', text: item.text } })
    item.done = { ...reasoningItem(item.id, item.text), status }
    this.emit('response.output_item.done', { output_index: item.index, item: item.done })
  }

  private openCall(call: number, callId: string, name: string): CallItem {
    this.closeMessage('completed')
    this.closeReasoning('completed')
    const index = this.items.length
    const id = `fc_${this.itemBase}${index}`
    const item: CallItem = { kind: 'function_call', id, index, callId, name, arguments: '', ref: `"item_id":"${id}","output_index":${index}`, done: undefined }
    this.items.push(item)
    this.calls[call] = item
    this.emit('response.output_item.added', { output_index: index, item: functionCallItem(id, callId, name, '', 'in_progress') })
    return item
  }

  private closeCall(item: CallItem, status: string): void {
    // A client answers a call by its call_id: one the upstream did not give is made up rather than left empty.
    if (item.callId === '') item.callId = `call_${this.itemBase}${item.index}`
    this.emit('response.function_call_arguments.done', { item_id: item.id, output_index: item.index, name: item.name, arguments: item.arguments })
    item.done = functionCallItem(item.id, item.callId, item.name, item.arguments, status)
    this.emit('response.output_item.done', { output_index: item.index, item: item.done })
  }

  /** The response as it stands: done items as they were sent, open ones as far as they came. */
  private response(status: ResponseStatus, incompleteReason?: string, error?: ResponseFields['error']): Record<string, unknown> {
    const head = this.head!
    const output = status === 'in_progress' ? [] : this.items.map((item) => item.done ?? this.cutItem(item))
    return responseObject({ id: head.id, createdAt: head.created, model: this.model, status, output, usage: this.usageSeen, incompleteReason, error })
  }

  /** An item a failure cut off, with what it held so far. */
  private cutItem(item: Item): object {
    if (item.kind === 'message') return messageItem(item.id, 'incomplete', item.parts.map((part) => this.partJson(part, part.text)))
    if (item.kind === 'reasoning') return { ...reasoningItem(item.id, item.text), status: 'incomplete' }
    return functionCallItem(item.id, item.callId, item.name, item.arguments, 'incomplete')
  }

  /** A lifecycle or done event: rare, so built as an object. */
  private emit(type: string, body: object): void {
    this.options.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.sequence++, ...body })}\n\n`)
  }

  /** A delta event, one per upstream fragment: built as text from the item's prepared reference. */
  private delta(type: string, fields: string): void {
    this.options.write(`event: ${type}\ndata: {"type":"${type}","sequence_number":${this.sequence++},${fields}}\n\n`)
  }
}
