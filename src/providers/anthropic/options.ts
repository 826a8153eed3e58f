import { z } from 'zod'

/** Anthropic's upstream settings (docs/providers.md#anthropic). */
export const anthropicOptions = {
  /** The `anthropic-version` header sent with every request. */
  anthropicVersion: z.string().min(1).default('2023-06-01'),
  /** `anthropic-beta` features to turn on (sent comma-separated), added to any the client sends. */
  anthropicBeta: z.array(z.string().regex(/^[\w.-]+$/, 'expected a beta name such as prompt-caching-2024-07-31')).optional(),
  /** max_tokens when the client sets none: Anthropic requires one. */
  maxTokens: z.number().int().positive().default(4096),
}
