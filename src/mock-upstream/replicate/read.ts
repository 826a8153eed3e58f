import { jsonAnswer, type Answer } from '../answer.js'
import type { ApiInput } from '../api.js'
import { unauthenticated } from './auth.js'
import { replicateProblem } from './errors.js'
import { predictionView, type MockPrediction, type PredictionStore } from './predictions.js'

/** GET …/v1/predictions/{id}: the prediction as it stands. */
export function getAnswer(input: ApiInput, prediction: MockPrediction | undefined): Answer {
  const refused = unauthenticated(input)
  if (refused !== undefined) return refused
  if (prediction === undefined) return notFound(input)
  return jsonAnswer(200, predictionView(prediction))
}

/** POST …/v1/predictions/{id}/cancel: a running prediction ends canceled; one that ended stays as it is. */
export function cancelAnswer(store: PredictionStore, input: ApiInput, prediction: MockPrediction | undefined): Answer {
  const refused = unauthenticated(input)
  if (refused !== undefined) return refused
  if (prediction === undefined) return notFound(input)
  store.cancel(prediction)
  return jsonAnswer(200, predictionView(prediction))
}

function notFound(input: ApiInput): Answer {
  return replicateProblem(404, 'The requested resource could not be found.', input.id)
}
