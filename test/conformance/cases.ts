import type { ConfigInput } from '../../src/config/schema.js'

type UpstreamInput = ConfigInput['routes'][number]['upstreams'][number]

/**
 * One provider the conformance suite runs against (translation.md §8): how to configure an upstream
 * of it on the shipped mock, what it can do, and how to read what the mock received in its native
 * shape, so every case checks both sides of the translation.
 */
export interface ProviderCase {
  name: string
  upstream(mockUrl: string, key: string): UpstreamInput
  /** Whether the provider speaks another API than OpenAI's (its answers are translated). */
  translated: boolean
  tools: boolean
  takesImages: boolean
  reasoning: boolean
  /** What the provider reports of cached and reasoning tokens. */
  cachedTokens: boolean
  /** Whether tool-call arguments stream in fragments (Gemini sends each call whole). */
  argumentFragments: boolean
  /** The status the upstream says it is overloaded with (Anthropic's 529, Gemini's and OpenAI's 503). */
  overloadedStatus: number
  /** x-relay-dropped-params for a request with seed and logit_bias (translated providers). */
  droppedSampling: string
  /** Where the key was: the header that carried it. */
  keyHeader: string
  /** The path (and query) a chat completion reaches the upstream at. */
  chatPath: RegExp
  /** The system prompt as the upstream received it. */
  systemPrompt(body: Record<string, unknown>): unknown
  /** The stop sequences as the upstream received them. */
  stop(body: Record<string, unknown>): unknown
  /** The image parts the upstream received, in its own shape. */
  images(body: Record<string, unknown>): unknown[]
  /** The tool results the upstream received, with the turn that carried them. */
  toolResults(body: Record<string, unknown>): { role: string; ids: string[] }[]
}

const asRecord = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {})
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])

function openaiImages(body: Record<string, unknown>): unknown[] {
  return asList(body.messages).flatMap((message) => asList(asRecord(message).content).filter((part) => asRecord(part).type === 'image_url'))
}

function openaiToolResults(body: Record<string, unknown>): { role: string; ids: string[] }[] {
  return asList(body.messages)
    .map(asRecord)
    .filter((message) => message.role === 'tool')
    .map((message) => ({ role: 'tool', ids: [String(message.tool_call_id)] }))
}

const openaiShape = {
  systemPrompt: (body: Record<string, unknown>) => asList(body.messages).map(asRecord).find((message) => message.role === 'system')?.content,
  stop: (body: Record<string, unknown>) => body.stop,
  images: openaiImages,
  toolResults: openaiToolResults,
}

export const openaiCase: ProviderCase = {
  name: 'openai',
  upstream: (url, key) => ({ provider: 'openai', url, keys: [key] }),
  translated: false,
  tools: true,
  takesImages: true,
  reasoning: true,
  cachedTokens: true,
  argumentFragments: true,
  overloadedStatus: 503,
  droppedSampling: '',
  keyHeader: 'authorization',
  chatPath: /^\/v1\/chat\/completions$/,
  ...openaiShape,
}

export const azureDatedCase: ProviderCase = {
  name: 'azure (deployment URL)',
  upstream: (url, key) => ({ provider: 'azure', url, keys: [key], apiVersion: '2024-10-21', deployments: { 'gpt-4o-mini': 'mini-deployment' } }),
  translated: false,
  tools: true,
  takesImages: true,
  reasoning: true,
  cachedTokens: true,
  argumentFragments: true,
  overloadedStatus: 503,
  droppedSampling: '',
  keyHeader: 'api-key',
  chatPath: /^\/openai\/deployments\/mini-deployment\/chat\/completions\?api-version=2024-10-21$/,
  ...openaiShape,
}

export const azureV1Case: ProviderCase = {
  ...azureDatedCase,
  name: 'azure (v1 API)',
  upstream: (url, key) => ({ provider: 'azure', url: `${url}/openai/v1`, keys: [key] }),
  chatPath: /^\/openai\/v1\/chat\/completions$/,
}

export const anthropicCase: ProviderCase = {
  name: 'anthropic',
  upstream: (url, key) => ({ provider: 'anthropic', url, keys: [key] }),
  translated: true,
  tools: true,
  takesImages: true,
  reasoning: true,
  cachedTokens: true,
  argumentFragments: true,
  overloadedStatus: 529,
  droppedSampling: 'seed, logit_bias',
  keyHeader: 'x-api-key',
  chatPath: /^\/v1\/messages$/,
  systemPrompt: (body) => body.system,
  stop: (body) => body.stop_sequences,
  images: (body) => asList(body.messages).flatMap((message) => asList(asRecord(message).content).filter((block) => asRecord(block).type === 'image')),
  toolResults: (body) =>
    asList(body.messages)
      .map(asRecord)
      .filter((message) => asList(message.content).some((block) => asRecord(block).type === 'tool_result'))
      .map((message) => ({
        role: String(message.role),
        ids: asList(message.content)
          .map(asRecord)
          .filter((block) => block.type === 'tool_result')
          .map((block) => String(block.tool_use_id)),
      })),
}

export const geminiCase: ProviderCase = {
  name: 'gemini',
  upstream: (url, key) => ({ provider: 'gemini', url, keys: [key] }),
  translated: true,
  tools: true,
  takesImages: true,
  reasoning: true,
  cachedTokens: true,
  argumentFragments: false,
  overloadedStatus: 503,
  // Gemini takes a seed.
  droppedSampling: 'logit_bias',
  keyHeader: 'x-goog-api-key',
  chatPath: /^\/v1beta\/models\/gpt-4o-mini:(generateContent|streamGenerateContent\?alt=sse)$/,
  systemPrompt: (body) => asList(asRecord(body.systemInstruction).parts).map((part) => asRecord(part).text).join(''),
  stop: (body) => asRecord(body.generationConfig).stopSequences,
  images: (body) => asList(body.contents).flatMap((content) => asList(asRecord(content).parts).filter((part) => asRecord(part).inlineData !== undefined || asRecord(part).fileData !== undefined)),
  toolResults: (body) =>
    asList(body.contents)
      .map(asRecord)
      .filter((content) => asList(content.parts).some((part) => asRecord(part).functionResponse !== undefined))
      .map((content) => ({
        role: String(content.role),
        ids: asList(content.parts)
          .map((part) => asRecord(asRecord(part).functionResponse))
          .filter((response) => response.name !== undefined)
          .map((response) => String(response.id ?? response.name)),
      })),
}

/** Replicate: text only, a prompt rendered from the messages (template none: system to system_prompt). */
export const replicateCase: ProviderCase = {
  name: 'replicate',
  upstream: (url, key) => ({ provider: 'replicate', url, keys: [key], models: { map: { 'gpt-4o-mini': 'meta/meta-llama-3-8b-instruct' } } }),
  translated: true,
  tools: false,
  takesImages: false,
  reasoning: false,
  cachedTokens: false,
  argumentFragments: false,
  overloadedStatus: 503,
  // Replicate's language models take a seed.
  droppedSampling: 'logit_bias',
  keyHeader: 'authorization',
  chatPath: /^\/v1\/models\/meta\/meta-llama-3-8b-instruct\/predictions$/,
  systemPrompt: (body) => asRecord(body.input).system_prompt,
  stop: (body) => String(asRecord(body.input).stop_sequences ?? '').split(','),
  images: () => [],
  toolResults: () => [],
}
