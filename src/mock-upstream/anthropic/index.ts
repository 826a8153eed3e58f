import type { MockApi, MockEndpoint } from '../api.js'
import { countTokensAnswer } from './count-tokens.js'
import { anthropicError } from './errors.js'
import { messagesAnswer } from './messages.js'

const messages: MockEndpoint = { json: true, answer: messagesAnswer, error: anthropicError }
const countTokens: MockEndpoint = { json: true, answer: countTokensAnswer, error: anthropicError }

/** Anthropic's Messages API: POST …/v1/messages and …/v1/messages/count_tokens. */
export const anthropicApi: MockApi = {
  match(method, path) {
    if (method !== 'POST') return undefined
    if (path.endsWith('/v1/messages/count_tokens')) return countTokens
    return path.endsWith('/v1/messages') ? messages : undefined
  },
}
