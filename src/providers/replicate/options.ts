import { z } from 'zod'
import { duration } from '../../config/units.js'

/** A host name as urls.* carry it (`streaming.api.replicate.com`); its subdomains count too. */
const hostName = z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'expected a host name such as streaming.example.com')

/** Replicate's upstream settings (docs/providers.md#replicate). */
export const replicateOptions = {
  /** How the key is sent: `Authorization: Bearer <key>` (Replicate's current scheme) or `Token <key>` (openai-api-route's). */
  authScheme: z.enum(['Bearer', 'Token']).default('Bearer'),
  /** How chat messages become the model's `prompt`: mistral (as openai-api-route rendered it), llama3, chatml, or none. */
  promptTemplate: z.enum(['mistral', 'llama3', 'chatml', 'none']).default('none'),
  /** Seconds a plain (not streamed) request asks Replicate to hold the create call open (`Prefer: wait=N`, at most 60); 0 only polls. */
  wait: z.number().int().min(0).max(60).default(60),
  /** How often urls.get is read while a plain answer's prediction runs. */
  pollInterval: duration.refine((ms) => ms >= 50, 'expected at least 50ms').default(500),
  /** The input that takes the client's max_tokens: `max_tokens` (current language models) or `max_new_tokens` (older Llama 2 and Mistral ones). */
  maxTokensField: z.enum(['max_tokens', 'max_new_tokens']).default('max_tokens'),
  /** Hosts besides the url's own (and its subdomains) that urls.* may point to; the key is sent nowhere else. */
  followHosts: z.array(hostName).default([]),
}
