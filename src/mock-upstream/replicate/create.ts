import { jsonAnswer, type Answer } from '../answer.js'
import type { ApiInput } from '../api.js'
import { isJsonObject } from '../json-body.js'
import { planAnswer } from '../plan.js'
import { textLength } from '../text.js'
import { unauthenticated } from './auth.js'
import { replicateProblem } from './errors.js'
import { predictionView, statusOf, isFinal, type MockPrediction, type PredictionStore } from './predictions.js'

/** An official model's name from the path, or a version from the body. */
export type CreateTarget = { official: true; owner: string; name: string } | { official: false }

/** The longest `Prefer: wait=N` Replicate honours, and what a bare `wait` means. */
const MAX_WAIT_SECONDS = 60

/** A host (and port) for the urls the mock hands out, as x-mock-replicate-host names it. */
const HOST = /^[\w.-]+(:\d{1,5})?$/

/**
 * POST …/v1/models/{owner}/{name}/predictions and POST …/v1/predictions ({version, input}): a
 * prediction from the same answer plan as every API the mock speaks, the prompt's length counted as
 * the prompt. It answers 201 at once with status `starting`, or with `Prefer: wait[=N]` once the
 * prediction ended (or after N seconds, still running). Refused as Replicate refuses: no key (401), an
 * input without a prompt, a create without a version (422).
 */
export function createAnswer(store: PredictionStore, input: ApiInput, target: CreateTarget): Answer | Promise<Answer> {
  const { id, body, headers, behaviour } = input
  const refused = unauthenticated(input)
  if (refused !== undefined) return refused
  const model = target.official ? `${target.owner}/${target.name}` : modelOfVersion(body.version)
  if (model === undefined) return replicateProblem(422, '- version: version is required', id)
  if (!isJsonObject(body.input)) return replicateProblem(422, '- input: input is required', id)
  const prompt = body.input.prompt
  if (typeof prompt !== 'string') return replicateProblem(422, '- input: prompt is required', id)
  const host = headers['x-mock-replicate-host']
  if (host !== undefined && (typeof host !== 'string' || !HOST.test(host))) return replicateProblem(400, 'x-mock-replicate-host must be a host such as evil.example or 127.0.0.1:9000', id)

  const maxTokens = body.input.max_tokens ?? body.input.max_new_tokens
  const stop = body.input.stop_sequences
  const plan = planAnswer({
    id,
    behaviour,
    promptChars: textLength(prompt) + textLength(body.input.system_prompt),
    tools: [],
    maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
    stop: typeof stop === 'string' ? stop.split(',').filter((sequence) => sequence !== '') : undefined,
  })
  const prediction = store.add({
    id: `rmock${id}`,
    official: target.official,
    model,
    version: target.official ? 'hidden' : String(body.version).split(':').at(-1)!,
    input: body.input,
    plan,
    behaviour: { chunkDelayMs: behaviour.chunkDelayMs, streamError: behaviour.streamError, usage: behaviour.usage },
    urlBase: host === undefined ? input.origin : `http://${host}`,
  })
  const wait = waitSeconds(headers.prefer)
  if (wait === undefined) return jsonAnswer(201, predictionView(prediction, Date.now(), true))
  return afterWait(prediction, wait)
}

/** The prediction once it ended, or after `seconds`, whichever is first. */
function afterWait(prediction: MockPrediction, seconds: number): Answer | Promise<Answer> {
  const now = Date.now()
  if (isFinal(statusOf(prediction, now))) return jsonAnswer(201, predictionView(prediction, now))
  const delay = Math.min(prediction.doneAt - now, seconds * 1000)
  return new Promise((resolve) => {
    // Unref'd: a mock closed meanwhile must not keep the process alive for up to a minute.
    // Seen at the time the wait was for at least: a timer may fire a millisecond early by Date.now().
    setTimeout(() => resolve(jsonAnswer(201, predictionView(prediction, Math.max(Date.now(), now + delay)))), delay).unref()
  })
}

/** `Prefer: wait` (60 s) or `wait=N` (1 to 60 s); undefined without it. */
function waitSeconds(prefer: string | string[] | undefined): number | undefined {
  const value = Array.isArray(prefer) ? prefer.join(',') : prefer
  const match = value === undefined ? null : /(?:^|[\s,;])wait(?:\s*=\s*(\d+))?(?=$|[\s,;])/i.exec(value)
  if (match === null) return undefined
  return Math.min(MAX_WAIT_SECONDS, Math.max(1, match[1] === undefined ? MAX_WAIT_SECONDS : Number(match[1])))
}

/** The model of a version: `owner/name` of `owner/name:version`, a stand-in for a bare version id. */
function modelOfVersion(version: unknown): string | undefined {
  if (typeof version !== 'string' || version === '') return undefined
  const colon = version.indexOf(':')
  return colon > 0 ? version.slice(0, colon) : 'mock/community-model'
}
