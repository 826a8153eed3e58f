import type { z } from 'zod'
import { RelayError } from '../../errors.js'
import type { UpstreamProvider } from '../types.js'
import type { geminiOptions } from './options.js'

type GeminiSettings = z.infer<z.ZodObject<typeof geminiOptions>>

export const geminiDefaultUrl = 'https://generativelanguage.googleapis.com'

const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'])

/** Google's Gemini API behind OpenAI's chat completions. (Being written.) */
export function bindGemini(settings: GeminiSettings): UpstreamProvider {
  void settings
  return {
    name: 'gemini',
    credentialHeaders,
    setKey(headers, key) {
      headers['x-goog-api-key'] = key
    },
    serves: (endpoint) => endpoint === 'chat',
    prepare() {
      throw new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', 'Gemini upstreams are not ready yet.')
    },
  }
}
