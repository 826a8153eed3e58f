/**
 * Token counts for quotas: an estimate of a request's prompt before it is sent, and a count of
 * streamed text when the upstream reports no usage. gpt-tokenizer (o200k_base, the encoding of
 * current OpenAI models) is loaded when some rule counts tokens or an answer without usage needs its
 * text counted: it takes ~200 ms and tens of MB, which configs that never need it should not pay.
 * Until it has loaded, text is counted at four characters per token (OpenAI's own rule of thumb).
 */

type CountTokens = (text: string) => number

let countWithTokenizer: CountTokens | undefined
let loading: Promise<void> | undefined

/** Starts loading the tokenizer (once); resolves when counts are exact. */
export function loadTokenizer(): Promise<void> {
  loading ??= import('gpt-tokenizer').then((tokenizer) => {
    countWithTokenizer = tokenizer.countTokens
  })
  return loading
}

/** Whether counts are exact already (callers on the hot path skip an await once they are). */
export function tokenizerLoaded(): boolean {
  return countWithTokenizer !== undefined
}

export function countTextTokens(text: string): number {
  if (text.length === 0) return 0
  return countWithTokenizer !== undefined ? countWithTokenizer(text) : Math.ceil(text.length / 4)
}

// What OpenAI's cookbook counts around chat messages: each message is framed by a few tokens, and
// the reply is primed with three more.
const TOKENS_PER_MESSAGE = 3
const REPLY_PRIMING_TOKENS = 3
/** An image's prompt cost depends on its size and detail, unknown here: a mid value (a 512 px tile plus the base). */
const TOKENS_PER_IMAGE = 255

/**
 * The prompt tokens a request body will cost, estimated from the fields OpenAI endpoints take their
 * input from: chat `messages` (and `tools`), completions `prompt`, embeddings and Responses `input`,
 * `instructions`, and Anthropic's `system` (its `messages` read as chat's). A body with none of them costs nothing.
 */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  let tokens = 0
  const { messages, tools, functions, prompt, input, instructions, system } = body
  if (Array.isArray(messages)) {
    for (const message of messages) tokens += TOKENS_PER_MESSAGE + countMessage(message)
    tokens += REPLY_PRIMING_TOKENS
  }
  if (tools !== undefined) tokens += countTextTokens(JSON.stringify(tools))
  if (functions !== undefined) tokens += countTextTokens(JSON.stringify(functions))
  if (prompt !== undefined) tokens += countInput(prompt)
  if (input !== undefined) tokens += countInput(input)
  if (typeof instructions === 'string') tokens += countTextTokens(instructions)
  // Anthropic's system prompt: a string or text blocks.
  if (system !== undefined) tokens += countContent(system)
  return tokens
}

/** The most output tokens the request allows (times `n` choices); 0 when it sets no bound. */
export function maxOutputTokens(body: Record<string, unknown>): number {
  const bound = firstPositiveInteger(body.max_completion_tokens, body.max_tokens, body.max_output_tokens)
  const choices = firstPositiveInteger(body.n) || 1
  return bound * choices
}

function firstPositiveInteger(...values: unknown[]): number {
  for (const value of values) if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  return 0
}

function countMessage(message: unknown): number {
  if (message === null || typeof message !== 'object') return 0
  const { role, name, content, tool_calls: toolCalls } = message as Record<string, unknown>
  let tokens = 0
  if (typeof role === 'string') tokens += countTextTokens(role)
  if (typeof name === 'string') tokens += countTextTokens(name) + 1
  tokens += countContent(content)
  if (toolCalls !== undefined) tokens += countTextTokens(JSON.stringify(toolCalls))
  return tokens
}

/** A message's content: a string, or parts (text counted, images at a flat estimate, others by their JSON). */
function countContent(content: unknown): number {
  if (typeof content === 'string') return countTextTokens(content)
  if (!Array.isArray(content)) return 0
  let tokens = 0
  for (const part of content) {
    if (part === null || typeof part !== 'object') continue
    const { type, text } = part as Record<string, unknown>
    if (typeof text === 'string') tokens += countTextTokens(text)
    else if (type === 'image_url' || type === 'input_image' || type === 'image') tokens += TOKENS_PER_IMAGE
    else tokens += countTextTokens(JSON.stringify(part))
  }
  return tokens
}

/** A prompt or input: a string, a list of strings, token ids (one token each), or Responses items. */
function countInput(input: unknown): number {
  if (typeof input === 'string') return countTextTokens(input)
  if (!Array.isArray(input)) return 0
  let tokens = 0
  for (const item of input) {
    if (typeof item === 'string') tokens += countTextTokens(item)
    else if (typeof item === 'number') tokens += 1
    else if (Array.isArray(item)) tokens += item.length
    else if (item !== null && typeof item === 'object') tokens += TOKENS_PER_MESSAGE + countMessage(item)
  }
  return tokens
}
