import { z } from 'zod'

/** Azure OpenAI's upstream settings (docs/providers.md#azure). */
export const azureOptions = {
  /**
   * The dated API's version (`2024-10-21`): requests go to `/openai/deployments/{deployment}/...?api-version=`.
   * Unset: the v1 API (`/openai/v1/...`), where the body's model names the deployment.
   */
  apiVersion: z.string().regex(/^[\w.-]+$/, 'expected an api-version such as 2024-10-21').optional(),
  /** The client's model name → the deployment that serves it; a model not listed is its own deployment name. */
  deployments: z.record(z.string().min(1), z.string().regex(/^[\w.-]+$/, 'expected a deployment name')).optional(),
  /** api-key (an Azure key) or authorization (a Microsoft Entra bearer token). */
  keyHeader: z.enum(['api-key', 'authorization']).default('api-key'),
}
