import type { MockApi } from '../api.js'

/** Gemini's generateContent API. (Being written.) */
export const geminiApi: MockApi = {
  match: () => undefined,
}
