import type { MockApi, MockEndpoint } from '../api.js'
import { createAnswer } from './create.js'
import { replicateProblem } from './errors.js'
import { PredictionStore } from './predictions.js'
import { cancelAnswer, getAnswer } from './read.js'
import { streamAnswer } from './stream.js'

/** Matched on the end of the path, whatever comes before (a proxy's prefix). */
const OFFICIAL = /\/v1\/models\/([\w.-]+)\/([\w.-]+)\/predictions$/
const VERSIONED = /\/v1\/predictions$/
const ONE = /\/v1\/predictions\/([\w-]+)(\/stream|\/cancel)?$/

/**
 * Replicate's predictions API (translation.md §1), with state: predictions made by one call are read,
 * streamed and canceled by the next. Made once per mock server.
 * - POST …/v1/models/{owner}/{name}/predictions: an official model (metrics count tokens)
 * - POST …/v1/predictions: `{version, input}`, a community model (no token counts)
 * - GET …/v1/predictions/{id}, GET …/v1/predictions/{id}/stream, POST …/v1/predictions/{id}/cancel
 */
export function replicateApi(): MockApi {
  const store = new PredictionStore()
  const endpoint = (json: boolean, answer: MockEndpoint['answer']): MockEndpoint => ({ json, answer, error: replicateProblem })
  return {
    match(method, path) {
      if (method === 'POST') {
        const official = OFFICIAL.exec(path)
        if (official !== null) return endpoint(true, (input) => createAnswer(store, input, { official: true, owner: official[1]!, name: official[2]! }))
        if (VERSIONED.test(path)) return endpoint(true, (input) => createAnswer(store, input, { official: false }))
      }
      const one = ONE.exec(path)
      if (one === null) return undefined
      const prediction = store.get(one[1]!)
      if (method === 'GET' && one[2] === undefined) return endpoint(false, (input) => getAnswer(input, prediction))
      if (method === 'GET' && one[2] === '/stream') return endpoint(false, (input) => streamAnswer(input, prediction))
      if (method === 'POST' && one[2] === '/cancel') return endpoint(false, (input) => cancelAnswer(store, input, prediction))
      return undefined
    },
  }
}
