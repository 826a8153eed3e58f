import type { ClientDialect } from '../types.js'
import { plainMessage } from './answer.js'
import { errorAnswer, streamError } from './errors.js'
import { answerId } from './ids.js'
import { readMessagesRequest } from './request.js'
import { AnthropicStreamWriter } from './write.js'

/** Anthropic Messages (`POST /v1/messages`), as Claude Code and the Anthropic SDKs speak it. */
export const anthropicMessages: ClientDialect = {
  name: 'anthropic-messages',
  readRequest: readMessagesRequest,
  answerId,
  streamWriter: (options) => new AnthropicStreamWriter(options),
  plainAnswer: plainMessage,
  errorAnswer,
  streamError,
}
