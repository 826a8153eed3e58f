import type { z } from 'zod'
import { RelayError } from '../../errors.js'
import type { UpstreamProvider } from '../types.js'
import type { replicateOptions } from './options.js'

type ReplicateSettings = z.infer<z.ZodObject<typeof replicateOptions>>

export const replicateDefaultUrl = 'https://api.replicate.com'

const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'])

/** Replicate's predictions API behind OpenAI's chat completions. (Being written.) */
export function bindReplicate(settings: ReplicateSettings): UpstreamProvider {
  return {
    name: 'replicate',
    credentialHeaders,
    setKey(headers, key) {
      headers.authorization = `${settings.authScheme} ${key}`
    },
    serves: (endpoint) => endpoint === 'chat',
    prepare() {
      throw new RelayError('RELAY_ERR_ENDPOINT_NOT_SERVED', 'Replicate upstreams are not ready yet.')
    },
  }
}
