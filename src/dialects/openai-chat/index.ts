import type { ClientDialect } from '../types.js'
import { openaiErrorAnswer, openaiStreamError } from './errors.js'
import { readChatRequest } from './request.js'
import { chatCompletionId, ChatStreamWriter, plainCompletion } from './write.js'

/** OpenAI's chat completions, the dialect every OpenAI SDK speaks and the canonical form's own shape. */
export const openaiChat: ClientDialect = {
  name: 'openai-chat',
  readRequest: readChatRequest,
  answerId: chatCompletionId,
  streamWriter: (options) => new ChatStreamWriter(options),
  plainAnswer: (completion, options) => plainCompletion(completion, options.model),
  errorAnswer: openaiErrorAnswer,
  streamError: openaiStreamError,
}
