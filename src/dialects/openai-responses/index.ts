import type { ClientDialect } from '../types.js'
import { plainResponse } from './answer.js'
import { errorAnswer, streamError } from './errors.js'
import { readResponsesRequest } from './request.js'
import { responseId } from './response.js'
import { ResponsesStreamWriter } from './write.js'

/** OpenAI's Responses API (POST /v1/responses), as the Codex CLI speaks it, answered statelessly from any upstream. */
export const openaiResponses: ClientDialect = {
  name: 'openai-responses',
  readRequest: readResponsesRequest,
  answerId: responseId,
  streamWriter: (options) => new ResponsesStreamWriter(options),
  plainAnswer: plainResponse,
  errorAnswer,
  streamError,
}
