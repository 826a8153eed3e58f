import type { ProviderAdapter } from '../types.js'

/** OpenAI and every OpenAI-compatible upstream: `Authorization: Bearer <key>`. */
export const openai = {
  // api-key is Azure's header and x-api-key Anthropic's: a client may send them to an OpenAI-style route too.
  credentialHeaders: new Set(['authorization', 'api-key', 'x-api-key']),
  setKey(headers, key) {
    headers.authorization = `Bearer ${key}`
  },
} satisfies ProviderAdapter
