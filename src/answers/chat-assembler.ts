import type { AnswerHead, AnswerListener, TokenUsage } from './listener.js'

/**
 * Builds one chat completion (OpenAI's `chat.completion` shape) from the answer stream, whatever
 * format the answer came in: content, refusal, reasoning and tool-call arguments joined per choice
 * and per call. The cache stores this one shape, so a streamed and a plain request share an entry
 * and either can be replayed as either; full records keep its text and tool calls.
 */

export interface ToolCall {
  id: string
  type: string
  function: { name: string; arguments: string }
}

export interface AssembledChoice {
  index: number
  message: { role: string; content: string | null; refusal?: string | null; reasoning_content?: string; tool_calls?: ToolCall[] }
  finish_reason: string | null
}

export interface AssembledCompletion {
  id: string
  created: number
  model: string
  system_fingerprint: string | null
  choices: AssembledChoice[]
  /** OpenAI's usage object (with prompt_tokens_details / completion_tokens_details when known). */
  usage: Record<string, unknown> | null
}

export class ChatAssembler implements AnswerListener {
  private head: AnswerHead | undefined
  private readonly choices = new Map<number, AssembledChoice>()
  private usageJson: Record<string, unknown> | null = null

  start(head: AnswerHead): void {
    this.head ??= head
  }

  text(choice: number, text: string): void {
    const message = this.choiceAt(choice).message
    message.content = (message.content ?? '') + text
  }

  reasoning(choice: number, text: string): void {
    const message = this.choiceAt(choice).message
    message.reasoning_content = (message.reasoning_content ?? '') + text
  }

  refusal(choice: number, text: string): void {
    const message = this.choiceAt(choice).message
    message.refusal = (message.refusal ?? '') + text
  }

  toolCall(choice: number, call: number, id: string, name: string): void {
    const calls = (this.choiceAt(choice).message.tool_calls ??= [])
    const existing = calls[call]
    // Some OpenAI-compatible servers repeat the id, or send the name in pieces: join rather than restart.
    if (existing !== undefined) {
      if (existing.id === '') existing.id = id
      if (existing.function.name !== name) existing.function.name += name
      return
    }
    calls[call] = { id, type: 'function', function: { name, arguments: '' } }
  }

  toolArguments(choice: number, call: number, fragment: string): void {
    const calls = (this.choiceAt(choice).message.tool_calls ??= [])
    const target = (calls[call] ??= { id: '', type: 'function', function: { name: '', arguments: '' } })
    target.function.arguments += fragment
  }

  finish(choice: number, reason: string): void {
    this.choiceAt(choice).finish_reason = reason
  }

  usage(usage: TokenUsage): void {
    this.usageJson = openaiUsage(usage)
  }

  /** The completion, or undefined when the answer had no choices (nothing worth keeping). */
  result(): AssembledCompletion | undefined {
    if (this.choices.size === 0) return undefined
    const head = this.head
    const choices = [...this.choices.values()].sort((a, b) => a.index - b.index)
    for (const choice of choices) {
      // A sparse tool-call list (a server that skipped an index) would be holes in JSON: closed up.
      if (choice.message.tool_calls !== undefined) choice.message.tool_calls = choice.message.tool_calls.filter((call) => call !== undefined)
    }
    return {
      id: head?.id ?? '',
      created: head?.created ?? Math.floor(Date.now() / 1000),
      model: head?.model ?? '',
      system_fingerprint: head?.systemFingerprint ?? null,
      choices,
      usage: this.usageJson,
    }
  }

  private choiceAt(index: number): AssembledChoice {
    let choice = this.choices.get(index)
    if (choice === undefined) {
      choice = { index, message: { role: 'assistant', content: null }, finish_reason: null }
      this.choices.set(index, choice)
    }
    return choice
  }
}

/** TokenUsage as OpenAI's usage object: the details only when known. */
export function openaiUsage(usage: TokenUsage): Record<string, unknown> {
  const json: Record<string, unknown> = { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens }
  if (usage.cachedTokens !== undefined) json.prompt_tokens_details = { cached_tokens: usage.cachedTokens }
  if (usage.reasoningTokens !== undefined) json.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens }
  return json
}
