import { countTextTokens, loadTokenizer, tokenizerLoaded } from '../limits/token-count.js'
import type { ChatAssembler } from './chat-assembler.js'
import type { AnswerHead, AnswerListener, TokenUsage } from './listener.js'

/** What one exchange cost in tokens. */
export interface Usage extends TokenUsage {
  /** `upstream`: the answer's own usage; `counted`: the prompt estimate plus the answer's text counted here; `estimate`: the same at 4 characters a token. */
  source: 'upstream' | 'counted' | 'estimate'
}

/**
 * Reads what an answer cost from the answer stream, never holding it up: the upstream's usage when
 * it reports one, and otherwise the generated text and tool calls, counted with the tokenizer at
 * the end. It passes every call on to its assembler, when the cache or a full record wants the
 * whole answer too.
 */
export class UsageMeter implements AnswerListener {
  /** Also builds the whole chat completion from what is read (the cache's leader request sets one). */
  assembler: ChatAssembler | undefined
  private reported: Usage | undefined
  private generated = ''

  start(head: AnswerHead): void {
    this.assembler?.start(head)
  }

  text(choice: number, text: string): void {
    this.generated += text
    this.assembler?.text(choice, text)
  }

  reasoning(choice: number, text: string): void {
    this.generated += text
    this.assembler?.reasoning(choice, text)
  }

  refusal(choice: number, text: string): void {
    this.generated += text
    this.assembler?.refusal(choice, text)
  }

  toolCall(choice: number, call: number, id: string, name: string): void {
    this.generated += name
    this.assembler?.toolCall(choice, call, id, name)
  }

  toolArguments(choice: number, call: number, fragment: string): void {
    this.generated += fragment
    this.assembler?.toolArguments(choice, call, fragment)
  }

  finish(choice: number, reason: string): void {
    this.assembler?.finish(choice, reason)
  }

  usage(usage: TokenUsage): void {
    this.reported = { ...usage, source: 'upstream' }
    this.assembler?.usage(usage)
  }

  /** Whether the upstream reported its usage (a stream asked with include_usage did, at its end). */
  get hasReportedUsage(): boolean {
    return this.reported !== undefined
  }

  /** Whether only the counts are wanted, not the answer itself (then a plain answer's usage may be scanned instead of parsed). */
  get countsOnly(): boolean {
    return this.assembler === undefined
  }

  /**
   * The upstream's usage when it gave one, else the prompt estimate plus the counted answer text
   * (`estimate` while the tokenizer is not loaded yet: it is loaded on first need, then counts are exact).
   */
  usageOr(promptEstimate: number | (() => number)): Usage {
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
}
