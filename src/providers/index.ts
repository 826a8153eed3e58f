import { z } from 'zod'
import type { UpstreamConfig } from '../config/schema.js'
import { httpUrl } from '../config/units.js'
import { anthropicDefaultUrl, bindAnthropic } from './anthropic/index.js'
import { anthropicOptions } from './anthropic/options.js'
import { bindAzure } from './azure/index.js'
import { azureOptions } from './azure/options.js'
import { bindGemini, geminiDefaultUrl } from './gemini/index.js'
import { geminiOptions } from './gemini/options.js'
import { bindOpenAI, openaiOptions } from './openai/index.js'
import { bindReplicate, replicateDefaultUrl } from './replicate/index.js'
import { replicateOptions } from './replicate/options.js'
import type { UpstreamProvider } from './types.js'

/**
 * The registry: the only place a provider is named. Adding one = one folder (its options, request
 * and answer translation, errors) + its lines here: its branch of the upstream schema and its bind.
 */

/** The upstream schema: the settings every upstream has, and per provider its own (a discriminated union on `provider`). */
export function upstreamSchemaWith<Common extends z.ZodRawShape>(common: Common) {
  // Providers with a public API default `url` to it; every other upstream must say where it is.
  return z.discriminatedUnion('provider', [
    // `provider` may be left out: an OpenAI-compatible upstream.
    z.strictObject({ provider: z.literal('openai').default('openai'), url: httpUrl, ...common, ...openaiOptions }),
    z.strictObject({ provider: z.literal('azure'), url: httpUrl, ...common, ...azureOptions }),
    z.strictObject({ provider: z.literal('anthropic'), url: httpUrl.default(anthropicDefaultUrl), ...common, ...anthropicOptions }),
    z.strictObject({ provider: z.literal('gemini'), url: httpUrl.default(geminiDefaultUrl), ...common, ...geminiOptions }),
    z.strictObject({ provider: z.literal('replicate'), url: httpUrl.default(replicateDefaultUrl), ...common, ...replicateOptions }),
  ])
}

/** The provider of an upstream, bound to its settings once per config. */
export function bindProvider(upstream: UpstreamConfig): UpstreamProvider {
  switch (upstream.provider) {
    case 'openai':
      return bindOpenAI(upstream)
    case 'azure':
      return bindAzure(upstream)
    case 'anthropic':
      return bindAnthropic(upstream)
    case 'gemini':
      return bindGemini(upstream)
    case 'replicate':
      return bindReplicate(upstream)
  }
}

export type { UpstreamProvider, OutboundHeaders, AttemptRequest, PreparedAttempt, UpstreamError, AnswerTranslation } from './types.js'
