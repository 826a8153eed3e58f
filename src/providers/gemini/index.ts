import type { z } from 'zod'
import { RelayError } from '../../errors.js'
import { generates } from '../../routing/endpoint.js'
import { jsonDecoder } from '../decode.js'
import { apiBase, upstreamPath } from '../path.js'
import type { PreparedAttempt, UpstreamProvider } from '../types.js'
import { readResponse } from './answer.js'
import { geminiError } from './errors.js'
import type { geminiOptions } from './options.js'
import { generateContentRequest } from './request.js'
import { geminiStreamDecoder } from './stream.js'

type GeminiSettings = z.infer<z.ZodObject<typeof geminiOptions>>

export const geminiDefaultUrl = 'https://generativelanguage.googleapis.com'

const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'])

const headers: Readonly<Record<string, string>> = { 'content-type': 'application/json' }

const translation = {
  decoder: ({ stream, listener, fail }) => (stream ? geminiStreamDecoder(listener, fail) : jsonDecoder((json) => readResponse(json, listener, fail))),
  error: geminiError,
} satisfies PreparedAttempt['answer']

/**
 * Google's Gemini API (generateContent) behind OpenAI's chat completions: the key in
 * `x-goog-api-key`, never `?key=` (a secret in a URL ends up in logs), the model in the path, the
 * request and the answer translated both ways. Chat completions only.
 */
export function bindGemini(settings: GeminiSettings): UpstreamProvider {
  const version = `/${settings.apiVersion}`
  return {
    name: 'gemini',
    credentialHeaders,
    setKey(outbound, key) {
      outbound['x-goog-api-key'] = key
    },
    serves: generates,
    prepare(request, target): PreparedAttempt {
      if (!generates(request.endpoint) || request.json === undefined) throw new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', 'Gemini upstreams serve chat completions, messages and responses only.')
      const dropped: string[] = []
      const chat = request.chat()
      if (chat.model === '') throw new RelayError('RELAY_ERR_BAD_FIELD', "'model' is required: Gemini names the model in the URL.", { param: 'model' })
      const body = generateContentRequest(chat, dropped)
      // A url configured as https://generativelanguage.googleapis.com/v1beta is forgiven, as the SDKs' base urls are.
      const base = apiBase(target, version)
      const path = chat.stream
        ? upstreamPath(base, `${version}/models/${modelSegment(chat.model)}:streamGenerateContent`, 'alt=sse')
        : upstreamPath(base, `${version}/models/${modelSegment(chat.model)}:generateContent`)
      return { method: 'POST', path, body: JSON.stringify(body), headers, dropped, answer: translation }
    },
  }
}

/** The model as one path segment: `models/` as Google writes resource names is accepted, anything else is escaped. */
function modelSegment(model: string): string {
  return encodeURIComponent(model.startsWith('models/') ? model.slice('models/'.length) : model)
}
