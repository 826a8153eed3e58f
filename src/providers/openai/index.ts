import { upstreamPath } from '../path.js'
import type { PreparedAttempt, UpstreamProvider } from '../types.js'

/** OpenAI and every OpenAI-compatible upstream take no settings of their own. */
export const openaiOptions = {}

// api-key is Azure's header and x-api-key Anthropic's: a client may send them to an OpenAI-style route too.
const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'])

/**
 * OpenAI and every OpenAI-compatible server: `Authorization: Bearer <key>`, the client's path after
 * the upstream's base path, the body as it came (re-serialised only when a model map renames the
 * model). Its answers are OpenAI's own and are relayed as they come.
 */
export function bindOpenAI(): UpstreamProvider {
  return {
    name: 'openai',
    credentialHeaders,
    setKey(headers, key) {
      headers.authorization = `Bearer ${key}`
    },
    serves: () => true,
    prepare(request, target): PreparedAttempt {
      return { method: request.method, path: upstreamPath(target, request.rest), body: bodyWithModel(request.json, request.body, request.model) }
    },
  }
}

/** The body with `model` replaced when the upstream's model map renamed it; the same bytes otherwise. */
export function bodyWithModel(json: Record<string, unknown> | undefined, body: Buffer | undefined, model: string | undefined): Buffer | string | null {
  if (json === undefined || model === undefined || json.model === model) return body ?? null
  return JSON.stringify({ ...json, model })
}
