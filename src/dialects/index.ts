import type { Endpoint } from '../routing/endpoint.js'
import { anthropicMessages } from './anthropic-messages/index.js'
import { openaiChat } from './openai-chat/index.js'
import { openaiResponses } from './openai-responses/index.js'
import type { ClientDialect } from './types.js'

/**
 * The dialects a client may speak to the gateway, by the endpoint it calls. Every other endpoint
 * (embeddings, audio, files, ...) is OpenAI's and relayed as it is: its errors are OpenAI's too.
 */
export function dialectOf(endpoint: Endpoint): ClientDialect {
  switch (endpoint) {
    case 'messages':
    case 'count_tokens':
      return anthropicMessages
    case 'responses':
      return openaiResponses
    default:
      return openaiChat
  }
}

export { openaiChat }
export type { ClientDialect, ClientError, DialectName, DialectStreamWriter, StreamWriterOptions } from './types.js'
