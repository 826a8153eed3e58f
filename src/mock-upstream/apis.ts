import type { MockApi } from './api.js'
import { anthropicApi } from './anthropic/index.js'
import { azureApi } from './azure/index.js'
import { geminiApi } from './gemini/index.js'
import { replicateApi } from './replicate/index.js'

/** The APIs one mock server speaks besides OpenAI's, asked in this order; made per server, since some keep state (Replicate's predictions). */
export function createMockApis(): readonly MockApi[] {
  return [azureApi, anthropicApi, geminiApi, replicateApi()]
}
