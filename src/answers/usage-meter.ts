import { countTextTokens, loadTokenizer, tokenizerLoaded } from '../limits/token-count.js'
import type { ChatAssembler } from './chat-assembler.js'
import { eventData } from '../upstream/sse.js'

/** What one exchange cost in tokens. */
export interface Usage {
  promptTokens: number
  completionTokens: number
  totalTokens: number
  /** `upstream`: the answer's own `usage`; `counted`: the prompt estimate plus the answer's text counted here; `estimate`: the same at 4 characters a token. */
  source: 'upstream' | 'counted' | 'estimate'
}

/** A plain answer bigger than this is not kept for its usage (it is still relayed in full); the estimate stands. */
const MAX_JSON_BYTES = 16 * 1024 * 1024

/**
 * Reads what an answer cost while it is relayed, never holding it up: the upstream's `usage` (plain
 * answers, the last chunk of a stream asked with include_usage, the Responses API's
 * response.completed), and otherwise the generated text and tool-call arguments, counted with the
 * tokenizer at the end.
 */
export class UsageMeter {
  /** Also builds the whole chat completion from what is read (the cache's leader request sets one). */
  assembler: ChatAssembler | undefined
  private reported: Usage | undefined
  private generated = ''
  private jsonChunks: Buffer[] | undefined
  private jsonBytes = 0

  /** One SSE event of a streamed answer; true when it is the usage-only chunk (`choices: []` with usage). */
  event(event: Buffer): boolean {
    const data = eventData(event)
    if (data === undefined || data === '[DONE]') return false
    const chunk = parseObject(data)
    if (chunk === undefined) return false
    this.assembler?.chunk(chunk)
    const usage = usageOf(chunk.usage) ?? (chunk.type === 'response.completed' ? usageOf(objectAt(chunk.response)?.usage) : undefined)
    if (usage !== undefined) this.reported = usage
    if (typeof chunk.delta === 'string') this.generated += chunk.delta // Responses API text and argument deltas
    const { choices } = chunk
    if (!Array.isArray(choices)) return false
    for (const choice of choices) this.collectChoice(objectAt(choice), 'delta')
    return choices.length === 0 && usage !== undefined
  }

  /** A chunk of a plain (non-SSE) answer, kept until end() up to a bound. */
  chunk(chunk: Buffer): void {
    if (this.jsonBytes + chunk.length > MAX_JSON_BYTES) {
      this.jsonChunks = undefined
      this.jsonBytes = Number.POSITIVE_INFINITY
      return
    }
    ;(this.jsonChunks ??= []).push(chunk)
    this.jsonBytes += chunk.length
  }

  /** The plain answer is complete: read its usage and text. */
  end(): void {
    const chunks = this.jsonChunks
    if (chunks === undefined) return
    this.jsonChunks = undefined
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    // Only the usage is needed (records at level meta, quotas): read that object alone rather than
    // parse the whole answer, which a profile showed costing more than anything else a record adds.
    if (this.assembler === undefined) {
      this.reported = usageOf(usageObjectIn(body))
      if (this.reported !== undefined) return
    }
    const answer = parseObject(body.toString('utf8'))
    if (answer !== undefined) this.answer(answer)
  }

  /** A whole plain answer, already parsed (also a chat answer replayed from the cache). */
  answer(answer: Record<string, unknown>): void {
    this.assembler?.answer(answer)
    this.reported = usageOf(answer.usage) ?? usageOf(objectAt(answer.response)?.usage)
    if (Array.isArray(answer.choices)) for (const choice of answer.choices) this.collectChoice(objectAt(choice), 'message')
  }

  /**
   * The upstream's usage when it gave one, else the prompt estimate plus the counted answer text
   * (`estimate` while the tokenizer is not loaded yet: it is loaded on first need, then counts are exact).
   */
  usage(promptEstimate: number | (() => number)): Usage {
    if (this.reported !== undefined) return this.reported
    if (typeof promptEstimate === 'function') promptEstimate = promptEstimate()
    const exact = tokenizerLoaded()
    if (!exact) loadTokenizer().catch(() => undefined)
    const completionTokens = countTextTokens(this.generated)
    return { promptTokens: promptEstimate, completionTokens, totalTokens: promptEstimate + completionTokens, source: exact ? 'counted' : 'estimate' }
  }

  /** The answer's text and tool-call arguments as read so far. */
  generatedText(): string {
    return this.generated
  }

  private collectChoice(choice: Record<string, unknown> | undefined, field: 'delta' | 'message'): void {
    if (choice === undefined) return
    if (typeof choice.text === 'string') this.generated += choice.text // completions
    const part = objectAt(choice[field])
    if (part === undefined) return
    if (typeof part.content === 'string') this.generated += part.content
    if (typeof part.reasoning_content === 'string') this.generated += part.reasoning_content
    if (Array.isArray(part.tool_calls)) {
      for (const call of part.tool_calls) {
        const fn = objectAt(objectAt(call)?.function)
        if (typeof fn?.name === 'string') this.generated += fn.name
        if (typeof fn?.arguments === 'string') this.generated += fn.arguments
      }
    }
  }
}

const USAGE_KEY = Buffer.from('"usage"')
const OPEN = 123 // {
const CLOSE = 125 // }
const OPEN_LIST = 91 // [
const CLOSE_LIST = 93 // ]
const QUOTE = 34 // "
const BACKSLASH = 92
const COLON = 58
const COMMA = 44
const ZERO = 48
const NINE = 57

function isSpace(byte: number | undefined): boolean {
  return byte === 32 || byte === 10 || byte === 13 || byte === 9
}

/**
 * The last `"usage": {...}` object of a JSON answer, read on its own. Text the model wrote cannot
 * match: inside a JSON string every quote is escaped, so `"usage"` with bare quotes is always a key.
 */
function usageObjectIn(body: Buffer): unknown {
  const key = lastUsageKey(body)
  if (key === -1) return undefined
  // Only `"usage": {`: a `null` (or anything else) after the key is no usage.
  let start = key + USAGE_KEY.length
  while (start < body.length && (isSpace(body[start]) || body[start] === COLON)) start++
  if (body[start] !== OPEN) return undefined
  const counts = tokenCountsAt(body, start)
  if (counts !== undefined) return counts
  let depth = 0
  let inString = false
  for (let at = start; at < body.length; at++) {
    const byte = body[at]
    if (inString) {
      if (byte === BACKSLASH) at++
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) inString = true
    else if (byte === OPEN) depth++
    // latin1: the usage object is numbers under ASCII keys, and a byte-per-char decode is the cheapest (any other text in it still parses).
    else if (byte === CLOSE && --depth === 0) return parseObject(body.toString('latin1', start, at + 1))
  }
  return undefined
}

/** Bytes at the end of an answer searched in JS before Buffer.lastIndexOf: where the usage nearly always is. */
const TAIL_BYTES = 512

/**
 * Where the last `"usage"` starts, or -1. The tail is searched here: profiled, Buffer.lastIndexOf's
 * trip into C++ cost more than the search itself, the key being among the last hundred bytes.
 */
function lastUsageKey(body: Buffer): number {
  const tailStart = Math.max(0, body.length - TAIL_BYTES)
  for (let at = body.length - USAGE_KEY.length; at >= tailStart; at--) if (spells(body, at, USAGE_KEY)) return at
  // The rest: a key starting before the tail (it may reach into it).
  return tailStart === 0 ? -1 : body.lastIndexOf(USAGE_KEY, tailStart - 1)
}

/** The members usageOf() reads, as bytes to compare names with. */
const countNames = ['prompt_tokens', 'completion_tokens', 'total_tokens', 'input_tokens', 'output_tokens'].map((name) => ({ name, bytes: Buffer.from(name) }))

/** Whether body holds `bytes` at `at`. */
function spells(body: Buffer, at: number, bytes: Buffer): boolean {
  let index = 0
  while (index < bytes.length && body[at + index] === bytes[index]) index++
  return index === bytes.length
}

/** The name in countNames that body[start, end) spells, if any. */
function countNameAt(body: Buffer, start: number, end: number): string | undefined {
  for (const { name, bytes } of countNames) if (bytes.length === end - start && spells(body, start, bytes)) return name
  return undefined
}

/**
 * The token counts of the usage object that starts at body[open], read without JSON.parse: in CPU
 * profiles of a gateway under load, parsing these few bytes took 1.3% of the event loop, more than
 * building the record. Reads the top-level members named in countNames whose value is a plain
 * non-negative integer; anything else under those names (a null, a fraction, an escape) gives
 * undefined, and the caller parses instead. Other members are skipped, not checked: this is no JSON
 * validator.
 */
function tokenCountsAt(body: Buffer, open: number): Record<string, number> | undefined {
  const counts: Record<string, number> = {}
  const end = body.length
  let depth = 0
  for (let at = open; at < end; at++) {
    const byte = body[at]
    if (byte === OPEN || byte === OPEN_LIST) depth++
    else if ((byte === CLOSE || byte === CLOSE_LIST) && --depth === 0) return counts
    if (byte !== QUOTE) continue
    const nameStart = at + 1
    let nameEnd = nameStart
    for (; nameEnd < end && body[nameEnd] !== QUOTE; nameEnd++) if (body[nameEnd] === BACKSLASH) return undefined
    at = nameEnd
    if (depth !== 1) continue
    let next = nameEnd + 1
    while (isSpace(body[next])) next++
    // A string not followed by a colon is a value, not a member's name.
    if (body[next] !== COLON) continue
    const name = countNameAt(body, nameStart, nameEnd)
    if (name === undefined) continue
    next++
    while (isSpace(body[next])) next++
    const digitsStart = next
    let value = 0
    for (; next < end && body[next]! >= ZERO && body[next]! <= NINE; next++) value = value * 10 + body[next]! - ZERO
    const digits = next - digitsStart
    // Not a plain integer (null, negative, a leading zero, past 2^53): JSON.parse decides.
    if (digits === 0 || digits > 15 || (digits > 1 && body[digitsStart] === ZERO)) return undefined
    while (isSpace(body[next])) next++
    // The member must end here: a comma, or the object's close brace (seen by the loop next).
    if (body[next] !== COMMA && body[next] !== CLOSE) return undefined
    counts[name] = value
    at = next - 1
  }
  // Cut off before the object closed.
  return undefined
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    return objectAt(JSON.parse(text))
  } catch {
    return undefined
  }
}

function objectAt(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

/** OpenAI's usage shapes: chat/completions (prompt_/completion_tokens) and Responses (input_/output_tokens). */
function usageOf(value: unknown): Usage | undefined {
  const usage = objectAt(value)
  if (usage === undefined) return undefined
  const prompt = numberAt(usage.prompt_tokens) ?? numberAt(usage.input_tokens)
  const completion = numberAt(usage.completion_tokens) ?? numberAt(usage.output_tokens) ?? 0
  if (prompt === undefined) return undefined
  return { promptTokens: prompt, completionTokens: completion, totalTokens: numberAt(usage.total_tokens) ?? prompt + completion, source: 'upstream' }
}

function numberAt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}
