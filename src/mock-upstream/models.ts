import { jsonTextAnswer, type BodyAnswer } from './answer.js'
import { errorAnswer } from './openai-error.js'

// A fixed date keeps answers byte-stable across runs (cache and snapshot tests).
const CREATED = 1_700_000_000
const MODEL_IDS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'whisper-1'] as const

const models = MODEL_IDS.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'mock-upstream' }))

// Serialised once: these answers never change.
const listAnswer = jsonTextAnswer(200, JSON.stringify({ object: 'list', data: models }))
const modelAnswers = new Map<string, BodyAnswer>(models.map((model) => [model.id, jsonTextAnswer(200, JSON.stringify(model))]))

/** GET …/models */
export function modelsAnswer(): BodyAnswer {
  return listAnswer
}

/** GET …/models/{id}: a known model, or OpenAI's 404 for an unknown one. */
export function modelAnswer(id: string): BodyAnswer {
  return (
    modelAnswers.get(id) ??
    errorAnswer(404, `The model '${id}' does not exist or you do not have access to it.`, { code: 'model_not_found' })
  )
}
