import type { MockApi } from '../api.js'

/** Replicate's predictions API. (Being written.) */
export function replicateApi(): MockApi {
  return { match: () => undefined }
}
