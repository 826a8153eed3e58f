import { openai } from './openai/index.js'
import type { ProviderAdapter } from './types.js'

/** The registry: the only place a provider is named. Adding one = one folder + one line here. */
export const providers = {
  openai,
} satisfies Record<string, ProviderAdapter>

export type ProviderName = keyof typeof providers
export const providerNames = Object.keys(providers) as [ProviderName, ...ProviderName[]]
export type { ProviderAdapter, OutboundHeaders } from './types.js'
