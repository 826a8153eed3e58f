import { contentPieces, estimateTokens } from './text.js'
import type { MockBehaviour } from './types.js'

/**
 * What the mock answers, decided once from the request and the behaviour, before any API's format:
 * every API the mock speaks (OpenAI, Anthropic, Gemini, Replicate) renders the same plan, so a test
 * can expect the same text, tool calls and counts whichever provider a gateway translated to.
 */
export interface AnswerPlan {
  /** Reasoning text in pieces (empty unless the behaviour asks for reasoning). */
  reasoning: string[]
  /** The answer's text in pieces, one per streamed chunk: `tok0 tok1 ...`. */
  content: string[]
  toolCalls: PlannedToolCall[]
  /** Why the answer ended, in OpenAI's words (each API says it its own way). */
  finish: 'stop' | 'length' | 'tool_calls'
  /** The stop sequence that ended it, when one did. */
  stopSequence?: string
  usage: { prompt: number; completion: number; cached: number; reasoning: number }
}

export interface PlannedToolCall {
  id: string
  name: string
  /** The arguments' JSON text, and the same in fragments for a stream (at least three when long enough). */
  arguments: string
  pieces: string[]
}

export interface PlanInput {
  /** The mock's request number, used in ids. */
  id: number
  behaviour: MockBehaviour
  /** Characters of prompt text (for the prompt token count). */
  promptChars: number
  /** Names of the tools offered, in order. */
  tools: readonly string[]
  /** The tool the request insists on; 'none' when it forbids tools. */
  toolChoice?: string | 'none' | undefined
  maxTokens?: number | undefined
  stop?: readonly string[] | undefined
}

const REASONING = ['Let me think. ', 'The answer is tokens. ']

/**
 * The prompt's token count as every plan reports it (cache reads included): what a token-counting
 * endpoint (Anthropic's count_tokens) answers for the same prompt.
 */
export function promptTokens(promptChars: number, behaviour: MockBehaviour): number {
  return estimateTokens(promptChars) + behaviour.cachedTokens
}

export function planAnswer(input: PlanInput): AnswerPlan {
  const { behaviour } = input
  const reasoning = behaviour.reasoning ? REASONING : []
  const cached = behaviour.cachedTokens
  const prompt = promptTokens(input.promptChars, behaviour)
  const usage = (completion: number) => ({ prompt, completion: completion + reasoning.length, cached, reasoning: reasoning.length })
  if (input.tools.length > 0 && input.toolChoice !== 'none') {
    const toolCalls = Array.from({ length: behaviour.toolCalls }, (_, index) => {
      const name = input.toolChoice ?? input.tools[index % input.tools.length]!
      const args = JSON.stringify({ location: 'Paris', call: index })
      return { id: behaviour.toolCalls === 1 ? `call_mock_${input.id}` : `call_mock_${input.id}_${index}`, name, arguments: args, pieces: fragments(args, behaviour.chunks) }
    })
    return { reasoning, content: [], toolCalls, finish: 'tool_calls', usage: usage(behaviour.chunks) }
  }
  let content = [...contentPieces(behaviour.chunks)]
  let finish: AnswerPlan['finish'] = 'stop'
  let stopSequence: string | undefined
  const text = content.join('')
  for (const stop of input.stop ?? []) {
    const at = stop === '' ? -1 : text.indexOf(stop)
    if (at === -1 || (stopSequence !== undefined && at >= text.indexOf(stopSequence))) continue
    stopSequence = stop
  }
  if (stopSequence !== undefined) content = cut(content, text.indexOf(stopSequence))
  if (input.maxTokens !== undefined && input.maxTokens < content.length) {
    content = content.slice(0, input.maxTokens)
    finish = 'length'
    stopSequence = undefined
  }
  return { reasoning, content, toolCalls: [], finish, ...(stopSequence !== undefined && { stopSequence }), usage: usage(content.length) }
}

/** The pieces up to character `end` of their joined text. */
function cut(pieces: readonly string[], end: number): string[] {
  const out: string[] = []
  let at = 0
  for (const piece of pieces) {
    if (at >= end) break
    out.push(piece.slice(0, end - at))
    at += piece.length
  }
  return out.filter((piece) => piece !== '')
}

/** `text` in `count` fragments of near-equal length (at least one). */
function fragments(text: string, count: number): string[] {
  const parts = Math.max(1, Math.min(count, text.length))
  const size = Math.ceil(text.length / parts)
  const out: string[] = []
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size))
  return out
}
