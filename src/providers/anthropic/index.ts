import type { z } from 'zod'
import { RelayError } from '../../errors.js'
import { jsonDecoder } from '../decode.js'
import { apiBase, upstreamPath } from '../path.js'
import { generates } from '../../routing/endpoint.js'
import type { AttemptRequest, PreparedAttempt, UpstreamProvider, UpstreamTarget } from '../types.js'
import { readMessage } from './answer.js'
import { anthropicError } from './errors.js'
import type { anthropicOptions } from './options.js'
import { passthroughBody } from './passthrough.js'
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
 * Anthropic's Messages API: the key in `x-api-key`, the version in `anthropic-version`. A client of
 * another dialect (OpenAI chat, Responses) gets its request and answer translated both ways; an
 * Anthropic client's request passes through as it came.
 */
export function bindAnthropic(settings: AnthropicSettings): UpstreamProvider {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': settings.anthropicVersion }
  const betas = settings.anthropicBeta ?? []
  if (betas.length > 0) headers['anthropic-beta'] = betas.join(',')
  return {
    name: 'anthropic',
    credentialHeaders,
    setKey(outbound, key) {
      outbound['x-api-key'] = key
    },
    serves: (endpoint) => generates(endpoint) || endpoint === 'count_tokens',
    prepare(request, target): PreparedAttempt {
      if (request.dialect === 'anthropic-messages') return passthrough(request, target)
      if (!generates(request.endpoint) || request.json === undefined) throw new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', 'Anthropic upstreams serve chat completions, messages and responses only.')
      const dropped: string[] = []
      const body = messagesRequest(request.chat(), settings.maxTokens, dropped)
      return { method: 'POST', path: upstreamPath(apiBase(target, '/v1'), '/v1/messages'), body: JSON.stringify(body), headers, dropped, answer: translation }
    },
  }

  /**
   * An Anthropic client's request (messages, count_tokens) goes on as it came (translation.md §9.3):
   * its query (`?beta=true`) kept, its `anthropic-version` taken over the configured one, its
   * `anthropic-beta` list added to the configured one as an open list. The answer is relayed as it
   * comes, read on the way for the usage meter.
   */
  function passthrough(request: AttemptRequest, target: UpstreamTarget): PreparedAttempt {
    const query = request.rest.indexOf('?')
    const endpoint = request.endpoint === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages'
    const path = upstreamPath(apiBase(target, '/v1'), query === -1 ? endpoint : endpoint + request.rest.slice(query))
    const clientBetas = request.clientHeader('anthropic-beta')
    const version = request.clientHeader('anthropic-version')
    const sent = { ...headers }
    if (version !== undefined && version !== '') sent['anthropic-version'] = version
    if (clientBetas !== undefined && clientBetas !== '') sent['anthropic-beta'] = [...new Set([...clientBetas.split(',').map((beta) => beta.trim()), ...betas])].filter((beta) => beta !== '').join(',')
    return { method: 'POST', path, body: passthroughBody(request.json, request.body, request.model), headers: sent, reader: translation }
  }
}
