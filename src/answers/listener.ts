/**
 * The typed answer stream (STYLE.md §6.2): every answer, whatever format it came in, is read into
 * these calls once, and whatever needs to know about it (the usage meter, the chat assembler behind
 * the cache and full records, a translating writer for the client) listens to them instead of
 * parsing bytes itself. Methods rather than event objects, as undici's dispatch handlers: a streamed
 * answer makes several calls per chunk and none of them allocates.
 *
 * `choice` is the choice index (almost always 0); `call` the index of a tool call within its choice,
 * dense from 0 in the order the calls began.
 */
export interface AnswerListener {
  /** Once, before anything else: the answer's id, model and creation time (Unix seconds). */
  start(head: AnswerHead): void
  text(choice: number, text: string): void
  /** Reasoning or thinking text (OpenAI-compatible servers' `reasoning_content`). */
  reasoning(choice: number, text: string): void
  refusal(choice: number, text: string): void
  /** A tool call begins; its arguments follow in toolArguments() fragments. */
  toolCall(choice: number, call: number, id: string, name: string): void
  toolArguments(choice: number, call: number, fragment: string): void
  /** Why a choice ended, in OpenAI's words: stop, length, tool_calls, content_filter (others pass as they are). */
  finish(choice: number, reason: string): void
  /** What the exchange cost; the last call wins. */
  usage(usage: TokenUsage): void
}

export interface AnswerHead {
  id: string
  model: string
  created: number
  /** OpenAI's system_fingerprint, when the upstream gave one. */
  systemFingerprint?: string | null
}

/** Token counts in OpenAI's terms (translation.md §7.3): prompt tokens include cached ones, completion tokens include reasoning. */
export interface TokenUsage {
  promptTokens: number
  completionTokens: number
  totalTokens: number
  /** Prompt tokens read from the provider's prompt cache. */
  cachedTokens?: number
  /** Prompt tokens written to the provider's prompt cache (Anthropic's cache_creation_input_tokens). */
  cacheWriteTokens?: number
  /** Completion tokens spent on reasoning. */
  reasoningTokens?: number
}

/** One listener that calls each of `listeners` in turn (those undefined are left out). */
export function fanOut(...listeners: (AnswerListener | undefined)[]): AnswerListener {
  const all = listeners.filter((listener): listener is AnswerListener => listener !== undefined)
  if (all.length === 1) return all[0]!
  return {
    start: (head) => all.forEach((listener) => listener.start(head)),
    text: (choice, text) => all.forEach((listener) => listener.text(choice, text)),
    reasoning: (choice, text) => all.forEach((listener) => listener.reasoning(choice, text)),
    refusal: (choice, text) => all.forEach((listener) => listener.refusal(choice, text)),
    toolCall: (choice, call, id, name) => all.forEach((listener) => listener.toolCall(choice, call, id, name)),
    toolArguments: (choice, call, fragment) => all.forEach((listener) => listener.toolArguments(choice, call, fragment)),
    finish: (choice, reason) => all.forEach((listener) => listener.finish(choice, reason)),
    usage: (usage) => all.forEach((listener) => listener.usage(usage)),
  }
}

/** `listener` with its answer head rewritten first (a translated answer takes its client dialect's id). */
export function withHead(listener: AnswerListener, rewrite: (head: AnswerHead) => AnswerHead): AnswerListener {
  return {
    start: (head) => listener.start(rewrite(head)),
    text: (choice, text) => listener.text(choice, text),
    reasoning: (choice, text) => listener.reasoning(choice, text),
    refusal: (choice, text) => listener.refusal(choice, text),
    toolCall: (choice, call, id, name) => listener.toolCall(choice, call, id, name),
    toolArguments: (choice, call, fragment) => listener.toolArguments(choice, call, fragment),
    finish: (choice, reason) => listener.finish(choice, reason),
    usage: (usage) => listener.usage(usage),
  }
}
