import type { IncomingHttpHeaders } from 'node:http'
import type { Answer, BodyAnswer } from './answer.js'
import type { JsonObject } from './json-body.js'
import type { MockBehaviour } from './types.js'

/**
 * An API other than OpenAI's that the mock speaks (Anthropic, Gemini, Azure, Replicate), so a
 * gateway's translation can be tested against each over real sockets. Each lives in its own folder
 * and is listed in apis.ts; handle.ts asks them in turn before its OpenAI endpoints.
 */
export interface MockApi {
  /** The endpoint a request is for, or undefined when it is not one of this API's. */
  match(method: string, path: string, query: URLSearchParams): MockEndpoint | undefined
}

export interface MockEndpoint {
  /** Whether the body is read as JSON (a parse failure is answered with this API's 400). */
  json: boolean
  answer(input: ApiInput): Answer | Promise<Answer>
  /** An error answer in this API's own format: for a status the behaviour asks for (given then), bad JSON, bad requests. */
  error(status: number, message: string, id: number, behaviour?: MockBehaviour): BodyAnswer
}

export interface ApiInput {
  /** The mock's request number, used in ids. */
  id: number
  /** The parsed JSON body (empty for endpoints that take none). */
  body: JsonObject
  raw: Buffer
  headers: IncomingHttpHeaders
  query: URLSearchParams
  behaviour: MockBehaviour
  /** `http://host:port` as the client reached the mock, for URLs the mock hands out (Replicate's urls.get). */
  origin: string
}
