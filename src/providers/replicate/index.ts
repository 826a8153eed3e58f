import type { z } from 'zod'
import { RelayError } from '../../errors.js'
import { generates } from '../../routing/endpoint.js'
import { jsonDecoder } from '../decode.js'
import { apiBase, upstreamPath } from '../path.js'
import type { AnswerTranslation, PreparedAttempt, UpstreamProvider } from '../types.js'
import { readPrediction } from './answer.js'
import { replicateError } from './errors.js'
import { PredictionExchange, type PredictionPlan } from './exchange.js'
import { followableHosts } from './hosts.js'
import type { replicateOptions } from './options.js'
import { predictionRequest } from './request.js'
import { replicateStreamDecoder } from './stream.js'

type ReplicateSettings = z.infer<z.ZodObject<typeof replicateOptions>> & { url: string }

export const replicateDefaultUrl = 'https://api.replicate.com'

const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'])

/** How a prediction is read; `maxTokens` (the client's) tells an answer that ran out of tokens. */
function translation(maxTokens: number | undefined): AnswerTranslation {
  return {
    decoder: ({ stream, listener, fail }) => (stream ? replicateStreamDecoder(listener, fail, maxTokens) : jsonDecoder((json) => readPrediction(json, listener, maxTokens))),
    error: replicateError,
  }
}

/**
 * Replicate's predictions API behind OpenAI's chat completions (translation.md §1): the key as
 * `Authorization: Bearer|Token`, the chat rendered into a prompt by the configured template, and an
 * attempt that is several requests (create, then stream or poll, cancel when the client leaves),
 * which PredictionExchange makes. Chat completions only.
 */
export function bindReplicate(settings: ReplicateSettings): UpstreamProvider {
  const followable = followableHosts(settings.url, settings.followHosts)
  const headers: Readonly<Record<string, string>> = { 'content-type': 'application/json' }
  return {
    name: 'replicate',
    credentialHeaders,
    setKey(outbound, key) {
      outbound.authorization = `${settings.authScheme} ${key}`
    },
    serves: generates,
    prepare(request, target): PreparedAttempt {
      if (!generates(request.endpoint) || request.json === undefined) throw new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', 'Replicate upstreams serve chat completions, messages and responses only.')
      const chat = request.chat()
      const dropped: string[] = []
      const native = predictionRequest(chat, settings, dropped)
      const plan: PredictionPlan = { stream: chat.stream, waitSeconds: settings.wait, pollIntervalMs: settings.pollInterval, followable }
      return {
        method: 'POST',
        path: upstreamPath(apiBase(target, '/v1'), native.path),
        body: JSON.stringify(native.body),
        headers,
        dropped,
        answer: translation(chat.maxTokens),
        exchange: (dispatch, options) => new PredictionExchange(dispatch, options, plan),
      }
    },
  }
}
