import { randomBytes } from 'node:crypto'
import type { AnswerListener, TokenUsage } from '../../answers/listener.js'
import { isObject, tokenCount } from '../decode.js'
import type { Completion } from '../decode.js'
import type { UpstreamError } from '../types.js'
import { callIdMaker, joinCallId } from './call-id.js'

/**
 * Gemini's answers in the answer stream's terms (translation.md §3, §7.2, §7.3): the first
 * candidate's parts to text, reasoning (`thought: true` parts) and tool calls, finish reasons to
 * OpenAI's, usage with thoughts counted into the completion as OpenAI counts reasoning. A plain
 * answer and each chunk of a stream have the same shape (a GenerateContentResponse), so both are
 * read by one ResponseReader.
 */

/** Finish reasons that mean a filter stopped the answer; IMAGE_SAFETY, IMAGE_PROHIBITED_CONTENT, ... are matched by prefix. */
const filtered = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII'])

/**
 * A finish reason as OpenAI's. Gemini ends a turn that called functions with STOP, so calls decide;
 * OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL and reasons added later read as stop (§7.2).
 */
export function finishReason(reason: unknown, calledTools: boolean): string {
  if (reason === 'MAX_TOKENS') return 'length'
  if (typeof reason === 'string' && (filtered.has(reason) || reason.startsWith('IMAGE_'))) return 'content_filter'
  return calledTools ? 'tool_calls' : 'stop'
}


/**
 * Gemini's usageMetadata: candidatesTokenCount leaves out thoughts, which OpenAI's completion_tokens
 * include; tokens of tool-use prompts (code execution, search) are prompt tokens to OpenAI.
 */
export function usageOf(usage: Record<string, unknown>): TokenUsage {
  const prompt = tokenCount(usage.promptTokenCount) + tokenCount(usage.toolUsePromptTokenCount)
  const thoughts = tokenCount(usage.thoughtsTokenCount)
  const completion = tokenCount(usage.candidatesTokenCount) + thoughts
  const result: TokenUsage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion }
  if (usage.cachedContentTokenCount !== undefined) result.cachedTokens = tokenCount(usage.cachedContentTokenCount)
  if (usage.thoughtsTokenCount !== undefined) result.reasoningTokens = thoughts
  return result
}

/**
 * A prompt Gemini refused to answer: HTTP 200 with `promptFeedback.blockReason` and no candidates.
 * To an OpenAI client that is a 400 content_filter, as Azure's prompt filter is (§7.4).
 */
export function blockedPrompt(response: Record<string, unknown>): UpstreamError | undefined {
  const feedback = isObject(response.promptFeedback) ? response.promptFeedback : undefined
  if (typeof feedback?.blockReason !== 'string' || (Array.isArray(response.candidates) && response.candidates.length > 0)) return undefined
  const why = typeof feedback.blockReasonMessage === 'string' ? ` ${feedback.blockReasonMessage}` : ''
  return { status: 400, type: 'invalid_request_error', code: 'content_filter', message: `The upstream blocked the prompt (${feedback.blockReason}).${why}` }
}

/** Reads GenerateContentResponses, a whole answer's or a stream's chunks in turn, into one listener. */
export class ResponseReader {
  private started = false
  private calls = 0
  // Made ids carry a nonce per answer: call_relay_0 of two turns would be one id to a client.
  private readonly makeId = callIdMaker(randomBytes(4).toString('hex'))

  constructor(private readonly listener: AnswerListener) {}

  /** Whether any function call was read: the answer then finished with tool_calls. */
  get calledTools(): boolean {
    return this.calls > 0
  }

  /** One response: the answer's head (once), then its first candidate's parts; returns that candidate, if any. */
  read(response: Record<string, unknown>): Record<string, unknown> | undefined {
    if (!this.started) {
      this.started = true
      this.listener.start({
        id: typeof response.responseId === 'string' ? response.responseId : '',
        model: typeof response.modelVersion === 'string' ? response.modelVersion : '',
        created: Math.floor(Date.now() / 1000),
      })
    }
    // One candidate is asked for (n > 1 is refused), so the first is the answer.
    const candidate = Array.isArray(response.candidates) && isObject(response.candidates[0]) ? response.candidates[0] : undefined
    const content = isObject(candidate?.content) ? candidate.content : undefined
    if (Array.isArray(content?.parts)) for (const part of content.parts) if (isObject(part)) this.part(part)
    return candidate
  }

  private part(part: Record<string, unknown>): void {
    if (typeof part.text === 'string') {
      if (part.text === '') return
      if (part.thought === true) this.listener.reasoning(0, part.text)
      else this.listener.text(0, part.text)
      return
    }
    const call = isObject(part.functionCall) ? part.functionCall : undefined
    if (call === undefined || typeof call.name !== 'string') return
    const index = this.calls++
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : this.makeId(index)
    const signature = typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined
    this.listener.toolCall(0, index, joinCallId(id, signature), call.name)
    // Gemini sends a call whole: its arguments are one fragment.
    this.listener.toolArguments(0, index, JSON.stringify(isObject(call.args) ? call.args : {}))
  }
}

/** A whole generateContent answer. */
export function readResponse(json: unknown, listener: AnswerListener, fail: (failure: UpstreamError) => void): Completion {
  if (!isObject(json)) return 'incomplete'
  const blocked = blockedPrompt(json)
  if (blocked !== undefined) {
    fail(blocked)
    return 'incomplete'
  }
  const reader = new ResponseReader(listener)
  const candidate = reader.read(json)
  if (candidate === undefined) return 'incomplete'
  listener.finish(0, finishReason(candidate.finishReason, reader.calledTools))
  if (isObject(json.usageMetadata)) listener.usage(usageOf(json.usageMetadata))
  return 'complete'
}
