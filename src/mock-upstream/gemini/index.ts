import type { MockApi, MockEndpoint } from '../api.js'
import { geminiError } from './errors.js'
import { generateAnswer, type GenerateMode } from './generate.js'

/** `…/models/{model}:generateContent` and `…:streamGenerateContent`, whatever comes before (v1beta, v1, a proxy's prefix). */
const GENERATE = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/

/** Gemini's generateContent API: POST …/models/{model}:generateContent, and :streamGenerateContent (SSE with ?alt=sse, else a JSON array). */
export const geminiApi: MockApi = {
  match(method, path, query) {
    if (method !== 'POST') return undefined
    const match = GENERATE.exec(path)
    if (match === null) return undefined
    const model = decoded(match[1]!)
    const mode: GenerateMode = match[2] === 'generateContent' ? 'plain' : query.get('alt') === 'sse' ? 'sse' : 'array'
    return { json: true, answer: (input) => generateAnswer(input, model, mode), error: geminiError } satisfies MockEndpoint
  },
}

/** A path segment unescaped; a malformed escape is kept as it came. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
