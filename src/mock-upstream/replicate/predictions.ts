import type { JsonObject } from '../json-body.js'
import type { AnswerPlan } from '../plan.js'
import type { MockBehaviour } from '../types.js'

/**
 * The mock's predictions: each made from an answer plan, then left to run on the clock. A prediction
 * produces one piece of its plan every chunkDelayMs and ends `chunks × chunkDelayMs` after it was
 * created (at once when the delay is 0): succeeded, or failed when the behaviour asked for a stream
 * error. A cancel ends a running one; its stream, once it has sent `done`, ends it too.
 */
export interface MockPrediction {
  id: string
  /** An official model (`POST /v1/models/{owner}/{name}/predictions`): its metrics count tokens. */
  official: boolean
  model: string
  version: string
  input: JsonObject
  plan: AnswerPlan
  behaviour: Pick<MockBehaviour, 'chunkDelayMs' | 'streamError' | 'usage'>
  createdAt: number
  /** When it ends on its own. */
  doneAt: number
  canceledAt?: number
  /** Its stream sent `done`: ended, whatever the clock says. */
  streamedAt?: number
  /** Where its urls point: the mock's origin, or the host the request asked for (x-mock-replicate-host). */
  urlBase: string
}

export type Status = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled'

/** Predictions kept at most, oldest forgotten first: a long benchmark must not grow the mock forever. */
const MAX_PREDICTIONS = 1000

const FAILURE = 'The mock prediction failed as its behaviour asked.'

export class PredictionStore {
  private readonly predictions = new Map<string, MockPrediction>()

  add(prediction: Omit<MockPrediction, 'createdAt' | 'doneAt'>, now = Date.now()): MockPrediction {
    const stored: MockPrediction = { ...prediction, createdAt: now, doneAt: now + prediction.plan.content.length * prediction.behaviour.chunkDelayMs }
    this.predictions.set(stored.id, stored)
    if (this.predictions.size > MAX_PREDICTIONS) this.predictions.delete(this.predictions.keys().next().value!)
    return stored
  }

  get(id: string): MockPrediction | undefined {
    return this.predictions.get(id)
  }

  /** Cancels a running prediction; one that ended stays as it ended (Replicate cannot cancel it). */
  cancel(prediction: MockPrediction, now = Date.now()): void {
    if (!isFinal(statusOf(prediction, now))) prediction.canceledAt = now
  }
}

export function isFinal(status: Status): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled'
}

/** When it ended (or will end on its own). */
function endedAt(prediction: MockPrediction): number {
  return prediction.canceledAt ?? Math.min(prediction.doneAt, prediction.streamedAt ?? Infinity)
}

export function statusOf(prediction: MockPrediction, now = Date.now()): Status {
  if (prediction.canceledAt !== undefined) return 'canceled'
  if (now >= endedAt(prediction)) return prediction.behaviour.streamError ? 'failed' : 'succeeded'
  return producedPieces(prediction, now) === 0 ? 'starting' : 'processing'
}

/** How many pieces of the plan it has produced by `now`; a failed one stops halfway. */
function producedPieces(prediction: MockPrediction, now: number): number {
  const { content } = prediction.plan
  const delay = prediction.behaviour.chunkDelayMs
  const until = Math.min(now, endedAt(prediction))
  const ended = prediction.canceledAt === undefined && (prediction.streamedAt !== undefined || until >= prediction.doneAt)
  const made = ended ? content.length : delay === 0 ? 0 : Math.min(content.length, Math.floor((until - prediction.createdAt) / delay))
  return prediction.behaviour.streamError ? Math.min(made, Math.floor(content.length / 2)) : made
}

/** The prediction as Replicate's API shows it (replicate-python-beta `types/prediction.py`); `asCreated`: as the create call answers without waiting. */
export function predictionView(prediction: MockPrediction, now = Date.now(), asCreated = false): JsonObject {
  const status: Status = asCreated ? 'starting' : statusOf(prediction, now)
  const final = isFinal(status)
  const produced = asCreated ? 0 : producedPieces(prediction, now)
  const iso = (ms: number) => new Date(ms).toISOString()
  const predictTime = ((final ? endedAt(prediction) : now) - prediction.createdAt) / 1000
  const { usage } = prediction.plan
  const metrics: JsonObject = !final ? {} : { predict_time: predictTime, total_time: predictTime }
  if (final && prediction.official && prediction.behaviour.usage) Object.assign(metrics, { input_token_count: usage.prompt, output_token_count: produced })
  const url = `${prediction.urlBase}/v1/predictions/${prediction.id}`
  return {
    id: prediction.id,
    model: prediction.model,
    version: prediction.version,
    input: prediction.input,
    output: status === 'starting' ? null : prediction.plan.content.slice(0, produced),
    status,
    error: status === 'failed' ? FAILURE : null,
    logs: '',
    metrics,
    source: 'api',
    data_removed: false,
    created_at: iso(prediction.createdAt),
    started_at: status === 'starting' ? null : iso(prediction.createdAt),
    completed_at: final ? iso(endedAt(prediction)) : null,
    urls: { get: url, cancel: `${url}/cancel`, stream: `${url}/stream`, web: `https://replicate.com/p/${prediction.id}` },
  }
}
