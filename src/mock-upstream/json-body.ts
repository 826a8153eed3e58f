import type { BodyAnswer } from './answer.js'
import { invalidRequest } from './openai-error.js'

export type JsonObject = Record<string, unknown>

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export type ParsedJson = { ok: true; value: JsonObject } | { ok: false; answer: BodyAnswer }

/** Parses a request body the way OpenAI does: malformed JSON or a non-object is a 400. */
export function parseJsonBody(body: Buffer): ParsedJson {
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    return { ok: false, answer: invalidRequest('We could not parse the JSON body of your request.', 'invalid_json') }
  }
  if (!isJsonObject(value)) {
    return { ok: false, answer: invalidRequest('The request body must be a JSON object.', 'invalid_json') }
  }
  return { ok: true, value }
}

/** The request's model, or the 400 OpenAI sends when it is missing. */
export function modelOf(body: JsonObject): string | BodyAnswer {
  const { model } = body
  if (typeof model === 'string' && model.length > 0) return model
  return invalidRequest('You must provide a model parameter.', 'missing_required_parameter', 'model')
}

/** `stream_options.include_usage`, which decides whether a stream ends with a usage chunk. */
export function includeUsage(body: JsonObject): boolean {
  const options = body.stream_options
  return isJsonObject(options) && options.include_usage === true
}

/** A positive integer, or undefined for anything else (max token limits). */
export function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
