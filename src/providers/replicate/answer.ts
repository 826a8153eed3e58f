import type { AnswerHead, TokenUsage, AnswerListener } from '../../answers/listener.js'
import { isObject, type Completion } from '../decode.js'

/**
 * A finished prediction in the answer stream's terms (translation.md §1, §7.2, §7.3): its output
 * fragments joined into one text, usage from `metrics` when the model reports token counts (official
 * models do, community ones do not: the gateway then counts the text itself).
 */

/** The answer's id, model and creation time from a prediction (or the head event the exchange makes of it). */
export function headOf(prediction: Record<string, unknown>): AnswerHead {
  const created = typeof prediction.created_at === 'string' ? Date.parse(prediction.created_at) : NaN
  return {
    id: typeof prediction.id === 'string' ? prediction.id : '',
    model: typeof prediction.model === 'string' ? prediction.model : '',
    created: Math.floor((Number.isNaN(created) ? Date.now() : created) / 1000),
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

/** Token counts from `metrics`; undefined unless both are there. */
export function usageOf(metrics: unknown): TokenUsage | undefined {
  if (!isObject(metrics)) return undefined
  const prompt = count(metrics.input_token_count)
  const completion = count(metrics.output_token_count)
  if (prompt === undefined || completion === undefined) return undefined
  return { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion }
}

/** Replicate says nothing of why an answer ended: `length` when it used every token it was allowed, else `stop`. */
export function finishReason(usage: TokenUsage | undefined, maxTokens: number | undefined): string {
  return usage !== undefined && maxTokens !== undefined && usage.completionTokens >= maxTokens ? 'length' : 'stop'
}

/** A language model's output: an array of text fragments (joined with ""), or one string. */
export function outputText(output: unknown): string {
  if (typeof output === 'string') return output
  if (!Array.isArray(output)) return ''
  let text = ''
  for (const fragment of output) if (typeof fragment === 'string') text += fragment
  return text
}

/** A whole prediction that succeeded (the exchange answers others as errors). */
export function readPrediction(prediction: unknown, listener: AnswerListener, maxTokens: number | undefined): Completion {
  if (!isObject(prediction) || prediction.status !== 'succeeded') return 'incomplete'
  listener.start(headOf(prediction))
  const text = outputText(prediction.output)
  if (text !== '') listener.text(0, text)
  const usage = usageOf(prediction.metrics)
  listener.finish(0, finishReason(usage, maxTokens))
  if (usage !== undefined) listener.usage(usage)
  return 'complete'
}
