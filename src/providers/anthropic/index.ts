import type { z } from 'zod'
import { RelayError } from '../../errors.js'
import { jsonDecoder } from '../decode.js'
import { apiBase, upstreamPath } from '../path.js'
import type { PreparedAttempt, UpstreamProvider } from '../types.js'
import { readMessage } from './answer.js'
import { anthropicError } from './errors.js'
import type { anthropicOptions } from './options.js'
import { messagesRequest } from './request.js'
import { anthropicStreamDecoder } from './stream.js'

type AnthropicSettings = z.infer<z.ZodObject<typeof anthropicOptions>>

export const anthropicDefaultUrl = 'https://api.anthropic.com'

const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'])

const translation = {
  decoder: ({ stream, listener, fail }) => (stream ? anthropicStreamDecoder(listener, fail) : jsonDecoder((json) => readMessage(json, listener))),
  error: anthropicError,
} satisfies PreparedAttempt['answer']

/**
 * Anthropic's Messages API behind OpenAI's chat completions: the key in `x-api-key`, the version in
 * `anthropic-version`, the request and the answer translated both ways. Chat completions only.
 */
export function bindAnthropic(settings: AnthropicSettings): UpstreamProvider {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': settings.anthropicVersion }
  if (settings.anthropicBeta !== undefined && settings.anthropicBeta.length > 0) headers['anthropic-beta'] = settings.anthropicBeta.join(',')
  return {
    name: 'anthropic',
    credentialHeaders,
    setKey(outbound, key) {
      outbound['x-api-key'] = key
    },
    serves: (endpoint) => endpoint === 'chat',
    prepare(request, target): PreparedAttempt {
      if (request.endpoint !== 'chat' || request.json === undefined) throw new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', 'Anthropic upstreams serve chat completions only.')
      const dropped: string[] = []
      const body = messagesRequest(request.chat(), settings.maxTokens, dropped)
      return { method: 'POST', path: upstreamPath(apiBase(target, '/v1'), '/v1/messages'), body: JSON.stringify(body), headers, dropped, answer: translation }
    },
  }
}
