/**
 * Builds one chat completion (OpenAI's `chat.completion` shape) from the answer as it was relayed:
 * a plain answer as it is, a stream chunk by chunk (content, refusal and tool-call arguments joined
 * per choice and per tool call). The cache stores this one shape, so a streamed and a plain request
 * share an entry and either can be replayed as either.
 */

export interface ToolCall {
  id: string
  type: string
  function: { name: string; arguments: string }
}

export interface AssembledChoice {
  index: number
  message: { role: string; content: string | null; refusal?: string | null; tool_calls?: ToolCall[] }
  finish_reason: string | null
}

export interface AssembledCompletion {
  id: string
  created: number
  model: string
  system_fingerprint: string | null
  choices: AssembledChoice[]
  usage: Record<string, unknown> | null
}

type Json = Record<string, unknown>

export class ChatAssembler {
  private head: Omit<AssembledCompletion, 'choices' | 'usage'> | undefined
  private readonly choices = new Map<number, AssembledChoice>()
  private usage: Json | null = null
  private plain: AssembledCompletion | undefined

  /** One parsed chunk of a streamed answer. */
  chunk(chunk: Json): void {
    this.head ??= headOf(chunk)
    if (isObject(chunk.usage)) this.usage = chunk.usage
    if (!Array.isArray(chunk.choices)) return
    for (const raw of chunk.choices) {
      if (!isObject(raw)) continue
      const choice = this.choiceAt(typeof raw.index === 'number' ? raw.index : 0)
      const delta = isObject(raw.delta) ? raw.delta : {}
      // Legacy completions stream `text` pieces instead of a delta.
      if (typeof raw.text === 'string') choice.message.content = (choice.message.content ?? '') + raw.text
      if (typeof delta.role === 'string') choice.message.role = delta.role
      if (typeof delta.content === 'string') choice.message.content = (choice.message.content ?? '') + delta.content
      if (typeof delta.refusal === 'string') choice.message.refusal = (choice.message.refusal ?? '') + delta.refusal
      else if (delta.refusal === null) choice.message.refusal ??= null
      if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) if (isObject(call)) addToolCallDelta(choice, call)
      if (typeof raw.finish_reason === 'string') choice.finish_reason = raw.finish_reason
    }
  }

  /** A complete plain answer. */
  answer(answer: Json): void {
    if (!Array.isArray(answer.choices)) return
    const choices: AssembledChoice[] = []
    for (const raw of answer.choices) {
      if (!isObject(raw) || !isObject(raw.message)) continue
      const message = raw.message
      choices.push({
        index: typeof raw.index === 'number' ? raw.index : choices.length,
        message: {
          role: typeof message.role === 'string' ? message.role : 'assistant',
          content: typeof message.content === 'string' ? message.content : null,
          ...((typeof message.refusal === 'string' || message.refusal === null) && { refusal: message.refusal }),
          ...(Array.isArray(message.tool_calls) && { tool_calls: message.tool_calls as ToolCall[] }),
        },
        finish_reason: typeof raw.finish_reason === 'string' ? raw.finish_reason : null,
      })
    }
    this.plain = { ...headOf(answer), choices, usage: isObject(answer.usage) ? answer.usage : null }
  }

  /** The completion, or undefined when the answer had no choices (nothing worth keeping). */
  result(): AssembledCompletion | undefined {
    if (this.plain !== undefined) return this.plain.choices.length > 0 ? this.plain : undefined
    if (this.head === undefined || this.choices.size === 0) return undefined
    const choices = [...this.choices.values()].sort((a, b) => a.index - b.index)
    return { ...this.head, choices, usage: this.usage }
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

function headOf(json: Json): Omit<AssembledCompletion, 'choices' | 'usage'> {
  return {
    id: typeof json.id === 'string' ? json.id : '',
    created: typeof json.created === 'number' ? json.created : Math.floor(Date.now() / 1000),
    model: typeof json.model === 'string' ? json.model : '',
    system_fingerprint: typeof json.system_fingerprint === 'string' ? json.system_fingerprint : null,
  }
}

/** Streamed tool calls arrive as pieces keyed by their index: the first names the call, later ones add arguments. */
function addToolCallDelta(choice: AssembledChoice, delta: Json): void {
  const calls = (choice.message.tool_calls ??= [])
  const index = typeof delta.index === 'number' ? delta.index : calls.length
  const call = (calls[index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } })
  if (typeof delta.id === 'string') call.id = delta.id
  if (typeof delta.type === 'string') call.type = delta.type
  const fn = isObject(delta.function) ? delta.function : undefined
  if (typeof fn?.name === 'string') call.function.name += fn.name
  if (typeof fn?.arguments === 'string') call.function.arguments += fn.arguments
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
