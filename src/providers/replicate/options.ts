import { z } from 'zod'

/** Replicate's upstream settings (docs/providers.md#replicate). */
export const replicateOptions = {
  /** How the key is sent: `Authorization: Bearer <key>` (Replicate's current scheme) or `Token <key>` (openai-api-route's). */
  authScheme: z.enum(['Bearer', 'Token']).default('Bearer'),
  /** How chat messages become the model's `prompt`: mistral (as openai-api-route rendered it), llama3, chatml, or none. */
  promptTemplate: z.enum(['mistral', 'llama3', 'chatml', 'none']).default('none'),
}
