import { RelayError } from '../../errors.js'
import { sendWholeAnswer } from '../../http/respond.js'
import { estimatePromptTokens, loadTokenizer } from '../../limits/token-count.js'
import type { RelayContext } from '../context.js'
import { answered, type StageResult } from '../run.js'

/**
 * Anthropic's `POST /v1/messages/count_tokens` (Claude Code asks it every turn to decide when to
 * compact): the upstreams whose provider counts tokens themselves are asked (stages after this one);
 * when none can, the gateway answers with the tokenizer's count. Never a made-up 0: Claude Code takes
 * a 200 with 0 as true and stops compacting (translation.md §2); where nothing can count, a 404 in the
 * client's error format makes it fall back to its own estimate.
 */
export function countTokens(ctx: RelayContext): StageResult | Promise<StageResult> {
  if (ctx.endpoint !== 'count_tokens') return undefined
  const counting = ctx.candidates.filter((upstream) => upstream.provider.serves('count_tokens'))
  if (counting.length > 0) {
    ctx.candidates = counting
    return undefined
  }
  const json = ctx.json
  if (json === undefined || !Array.isArray(json.messages)) throw new RelayError('RELAY_ERR_BAD_FIELD', "'messages' must be an array of messages.", { param: 'messages' })
  return countHere(ctx, json)
}

async function countHere(ctx: RelayContext, json: Record<string, unknown>): Promise<StageResult> {
  try {
    await loadTokenizer()
  } catch (error) {
    throw new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', 'No upstream of this route counts tokens, and the gateway cannot count them here.', { cause: error })
  }
  // Every prompt has some tokens: even an empty one is framed by a few.
  const inputTokens = Math.max(1, estimatePromptTokens(json))
  sendWholeAnswer(ctx, 200, { 'content-type': 'application/json', 'x-relay-token-count': 'estimate' }, JSON.stringify({ input_tokens: inputTokens }))
  return answered
}
