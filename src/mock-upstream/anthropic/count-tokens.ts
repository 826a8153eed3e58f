import { jsonAnswer, type Answer } from '../answer.js'
import type { ApiInput } from '../api.js'
import { promptTokens } from '../plan.js'
import { anthropicError } from './errors.js'
import { headerProblem, invalid, promptChars } from './request.js'

/**
 * POST …/v1/messages/count_tokens: `{ input_tokens }` for a Messages body without max_tokens, the
 * prompt's tokens as the plan counts them, so it equals the `input_tokens` (plus cache reads) of a
 * messages answer to the same body. Same header checks and 400s as messages.
 */
export function countTokensAnswer({ id, body, headers, behaviour }: ApiInput): Answer {
  const refused = headerProblem(headers, id)
  if (refused !== undefined) return refused
  const problem = invalid(body, { maxTokens: false })
  if (problem !== undefined) return anthropicError(400, problem, id)
  return jsonAnswer(200, { input_tokens: promptTokens(promptChars(body), behaviour) })
}
