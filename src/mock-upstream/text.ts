/**
 * The deterministic completion text: chunk i is `tok{i} `, so a streamed answer joined together
 * equals the non-streamed one and tests can predict both from the chunk count alone.
 */

// Chunk counts are few in practice (tests and bench reuse the same ones), so whatever is derived
// from a count alone is built once; the bound keeps odd counts from growing the caches forever.
const CACHE_LIMIT = 64

/** Memoises `build(chunks)` for the first CACHE_LIMIT distinct counts. */
export function perChunkCount<T>(build: (chunks: number) => T): (chunks: number) => T {
  const cache = new Map<number, T>()
  return (chunks) => {
    let value = cache.get(chunks)
    if (value === undefined) {
      value = build(chunks)
      if (cache.size < CACHE_LIMIT) cache.set(chunks, value)
    }
    return value
  }
}

export const contentPieces = perChunkCount((chunks): readonly string[] => Array.from({ length: chunks }, (_, i) => `tok${i} `))

export const completionText = perChunkCount((chunks) => contentPieces(chunks).join(''))

/** A rough token count (characters / 4, at least 1): enough for gateways' usage accounting. */
export function estimateTokens(characters: number): number {
  return Math.max(1, Math.ceil(characters / 4))
}

/** Characters of text in a value shaped like a prompt: strings, content parts, arrays of either. */
export function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length
  if (Array.isArray(value)) {
    let total = 0
    for (const item of value) total += textLength(item)
    return total
  }
  if (typeof value === 'object' && value !== null && 'text' in value) return textLength(value.text)
  return 0
}

/** OpenAI's usage object as JSON. */
export function usageJson(promptTokens: number, completionTokens: number): string {
  return `{"prompt_tokens":${promptTokens},"completion_tokens":${completionTokens},"total_tokens":${promptTokens + completionTokens}}`
}
