import { jsonAnswer, type Answer, type EndpointInput } from './answer.js'
import { modelOf } from './json-body.js'
import { invalidRequest } from './openai-error.js'
import { estimateTokens, textLength } from './text.js'

const DIMENSIONS = 8

/**
 * POST …/embeddings: one vector per input. Vectors are derived from the input text, so equal
 * inputs get equal vectors (cache tests) and different inputs differ.
 */
export function embeddingsAnswer({ body, behaviour }: EndpointInput): Answer {
  const model = modelOf(body)
  if (typeof model !== 'string') return model
  const inputs = splitInputs(body.input)
  if (inputs === undefined) {
    return invalidRequest('input must be a string, an array of strings, or an array of token arrays.', 'invalid_input', 'input')
  }
  // The openai SDK asks for base64 by default and decodes it as little-endian float32.
  const base64 = body.encoding_format === 'base64'
  const data = inputs.map((input, index) => {
    const vector = embed(input)
    const embedding = base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector)
    return { object: 'embedding', index, embedding }
  })
  const promptTokens = inputs.reduce((sum, input) => sum + (typeof input === 'string' ? estimateTokens(textLength(input)) : input.length), 0)
  return jsonAnswer(200, {
    object: 'list',
    data,
    model,
    ...(behaviour.usage ? { usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } } : {}),
  })
}

type Input = string | readonly number[]

/** OpenAI's input forms: string, string[], number[] (one token array), number[][]. */
function splitInputs(input: unknown): Input[] | undefined {
  if (typeof input === 'string') return [input]
  if (!Array.isArray(input) || input.length === 0) return undefined
  const items: readonly unknown[] = input
  if (isTokens(items)) return [items]
  const inputs: Input[] = []
  for (const item of items) {
    if (typeof item === 'string' || (Array.isArray(item) && isTokens(item))) inputs.push(item)
    else return undefined
  }
  return inputs
}

function isTokens(items: readonly unknown[]): items is readonly number[] {
  return items.every((item) => typeof item === 'number')
}

/** A unit vector seeded by an FNV-1a hash of the input, stepped with xorshift32. */
function embed(input: Input): Float32Array {
  let hash = 0x811c9dc5
  const text = typeof input === 'string' ? input : input.join(',')
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  const vector = new Float32Array(DIMENSIONS)
  let norm = 0
  for (let i = 0; i < DIMENSIONS; i++) {
    hash ^= hash << 13
    hash ^= hash >>> 17
    hash ^= hash << 5
    const value = (hash >>> 0) / 0x80000000 - 1
    vector[i] = value
    norm += value * value
  }
  const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm)
  for (let i = 0; i < DIMENSIONS; i++) vector[i] = (vector[i] ?? 0) * scale
  return vector
}
