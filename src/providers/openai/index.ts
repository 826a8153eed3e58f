import type { ProviderAdapter } from '../types.js'

const bearerPrefix = /^\s*bearer\s+/i

/** OpenAI and every OpenAI-compatible upstream: `Authorization: Bearer <key>`. */
export const openai = {
  setKey(headers, key) {
    headers.authorization = `Bearer ${key}`
  },
  clearCredentials(headers) {
    delete headers.authorization
    delete headers['api-key']
    delete headers['x-api-key']
  },
  readClientCredential(headers) {
    const header = headers.authorization
    if (header === undefined || header === '') return undefined
    // openai-api-route accepts a token without the Bearer word; so do we.
    return header.replace(bearerPrefix, '').trim() || undefined
  },
} satisfies ProviderAdapter
