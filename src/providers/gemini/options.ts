import { z } from 'zod'

/** Gemini's upstream settings (docs/providers.md#gemini). */
export const geminiOptions = {
  /** The API version in the path: `/v1beta/models/{model}:generateContent`. */
  apiVersion: z.string().regex(/^v\d+(alpha|beta)?$/, 'expected an API version such as v1beta').default('v1beta'),
}
