import { z } from 'zod'
import { upstreamPath, swapEndpoint } from '../path.js'
import type { AttemptRequest, PreparedAttempt, UpstreamProvider } from '../types.js'
import { chatTranslation } from './answer.js'
import { chatCompletionsBody } from './chat-request.js'

/** OpenAI and every OpenAI-compatible upstream (docs/providers.md#openai). */
export const openaiOptions = {
  /**
   * Whether the upstream serves the Responses API (`/v1/responses`) itself: then a Responses client's
   * request passes through untouched; else it is translated to chat completions, which every
   * OpenAI-compatible server speaks. Default: only OpenAI's own API (api.openai.com).
   */
  responsesApi: z.boolean().optional(),
}

interface OpenAISettings {
  url: string
  streamUsage: boolean
  responsesApi?: boolean | undefined
}

// api-key is Azure's header and x-api-key Anthropic's: a client may send them to an OpenAI-style route too.
const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'])

/**
 * OpenAI and every OpenAI-compatible server: `Authorization: Bearer <key>`, the client's path after
 * the upstream's base path, the body as it came (re-serialised only when a model map renames the
 * model). Its answers are OpenAI's own and are relayed as they come. A client speaking another
 * dialect (Anthropic Messages; Responses where the upstream has no Responses API) gets its request
 * translated to chat completions and the answer translated back.
 */
export function bindOpenAI(settings: OpenAISettings): UpstreamProvider {
  const responsesApi = settings.responsesApi ?? new URL(settings.url).hostname === 'api.openai.com'
  return {
    name: 'openai',
    credentialHeaders,
    setKey(headers, key) {
      headers.authorization = `Bearer ${key}`
    },
    // Counting tokens is Anthropic's endpoint: the gateway answers it with its own count instead.
    serves: (endpoint) => endpoint !== 'count_tokens',
    prepare(request, target): PreparedAttempt {
      if (request.dialect === 'anthropic-messages' || (request.dialect === 'openai-responses' && !responsesApi)) return translatedToChat(request, upstreamPath(target, swapEndpoint(request.rest, '/chat/completions')), settings.streamUsage)
      return { method: request.method, path: upstreamPath(target, request.rest), body: bodyWithModel(request.json, request.body, request.model) }
    },
  }
}

/** A request of another dialect as a chat completion at `path` (for `model`, when it is not the request's: Azure's deployment), its answer read back into the answer stream. */
export function translatedToChat(request: AttemptRequest, path: string, askUsage: boolean, model?: string): PreparedAttempt {
  const chat = request.chat()
  const dropped: string[] = []
  const body = chatCompletionsBody(model === undefined || model === chat.model ? chat : { ...chat, model }, askUsage, dropped)
  return { method: 'POST', path, body: JSON.stringify(body), headers: jsonHeaders, dropped, answer: chatTranslation }
}

const jsonHeaders: Readonly<Record<string, string>> = { 'content-type': 'application/json' }

/** The body with `model` replaced when the upstream's model map renamed it; the same bytes otherwise. */
export function bodyWithModel(json: Record<string, unknown> | undefined, body: Buffer | undefined, model: string | undefined): Buffer | string | null {
  if (json === undefined || model === undefined || json.model === model) return body ?? null
  return JSON.stringify({ ...json, model })
}
