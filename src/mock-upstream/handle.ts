import type { Answer, BodyAnswer, EndpointInput } from './answer.js'
import type { MockApi, MockEndpoint } from './api.js'
import { behaviourFromBody, behaviourFromHeaders, MockBehaviourError, resolveBehaviour } from './behaviour.js'
import { chatAnswer } from './chat.js'
import { completionsAnswer } from './completions.js'
import { echoAnswer } from './echo.js'
import { embeddingsAnswer } from './embeddings.js'
import type { Exchange } from './exchange.js'
import { parseJsonBody, type JsonObject, type ParsedJson } from './json-body.js'
import { modelAnswer, modelsAnswer } from './models.js'
import { errorAnswer, invalidRequest, statusAnswer } from './openai-error.js'
import { responsesAnswer } from './responses.js'
import { matchRoute, type Route } from './routes.js'
import { sendAnswer, sendPlain } from './send.js'
import { transcriptionAnswer } from './transcriptions.js'
import type { MockBehaviour } from './types.js'

/** The OpenAI endpoints whose body is JSON (and may carry the `mock` field). */
const jsonRoutes: ReadonlySet<Route['kind']> = new Set(['chat', 'completions', 'responses', 'embeddings'])
const HEALTHZ: BodyAnswer = { kind: 'body', status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok\n' }

/**
 * Answers one request whose body has been read:
 * 1. route by method and path; /healthz answers at once, whatever the behaviour;
 * 2. resolve the behaviour (server-wide, then body `mock`, then `x-mock-*` headers); a bad
 *    override is a 400 sent as is, without faults;
 * 3. wait `headersDelayMs`;
 * 4. apply the fault (reset, hang) and an error status (with Retry-After when set);
 * 5. otherwise send the endpoint's answer (truncated when the fault says so).
 */
export function handle(ex: Exchange, body: Buffer, server: MockBehaviour, apis: readonly MockApi[]): void {
  const other = otherApi(apis, ex.req.method ?? 'GET', ex.req.url ?? '/')
  if (other !== undefined) {
    handleOther(ex, other, body, server)
    return
  }
  const route = matchRoute(ex.req.method ?? 'GET', ex.req.url ?? '/')
  if (route.kind === 'healthz') {
    sendPlain(ex, HEALTHZ)
    return
  }

  const json = jsonRoutes.has(route.kind) ? parseJsonBody(body) : undefined
  let behaviour: MockBehaviour
  try {
    const fromHeaders = behaviourFromHeaders(ex.req.headers)
    const mock = json?.ok === true ? json.value.mock : undefined
    behaviour = resolveBehaviour(server, mock === undefined ? undefined : behaviourFromBody(mock), fromHeaders)
  } catch (error) {
    if (!(error instanceof MockBehaviourError)) throw error
    sendPlain(ex, invalidRequest(error.message, 'invalid_mock_option'))
    return
  }

  const proceed = (): void => answer(ex, route, json, body, behaviour)
  if (behaviour.headersDelayMs > 0) ex.after(behaviour.headersDelayMs, proceed)
  else proceed()
}

/** The endpoint of another API (Anthropic, Gemini, ...) this request is for, with its query; undefined for OpenAI's. */
function otherApi(apis: readonly MockApi[], method: string, url: string): { endpoint: MockEndpoint; query: URLSearchParams } | undefined {
  const queryStart = url.indexOf('?')
  const path = queryStart === -1 ? url : url.slice(0, queryStart)
  const query = new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1))
  for (const api of apis) {
    const endpoint = api.match(method, path, query)
    if (endpoint !== undefined) return { endpoint, query }
  }
  return undefined
}

/** The same steps as handle() for another API's endpoint, its errors in its own format. */
function handleOther(ex: Exchange, { endpoint, query }: { endpoint: MockEndpoint; query: URLSearchParams }, raw: Buffer, server: MockBehaviour): void {
  let body: JsonObject = {}
  if (endpoint.json) {
    const json = parseJsonBody(raw)
    if (!json.ok) {
      sendPlain(ex, endpoint.error(400, 'The request body is not a JSON object.', ex.id))
      return
    }
    body = json.value
  }
  let behaviour: MockBehaviour
  try {
    behaviour = resolveBehaviour(server, body.mock === undefined ? undefined : behaviourFromBody(body.mock), behaviourFromHeaders(ex.req.headers))
  } catch (error) {
    if (!(error instanceof MockBehaviourError)) throw error
    sendPlain(ex, endpoint.error(400, error.message, ex.id))
    return
  }
  const proceed = (): void => {
    if (behaviour.fault === 'reset') return ex.destroySocket(true)
    if (behaviour.fault === 'hang') return
    if (behaviour.status >= 400) return sendAnswer(ex, endpoint.error(behaviour.status, `The mock upstream answered ${behaviour.status} as its behaviour asked.`, ex.id, behaviour), behaviour)
    const origin = `http://${ex.req.headers.host ?? '127.0.0.1'}`
    const result = endpoint.answer({ id: ex.id, body, raw, headers: ex.req.headers, query, behaviour, origin })
    if (result instanceof Promise) void result.then((late) => !ex.closed && sendAnswer(ex, late, behaviour))
    else sendAnswer(ex, result, behaviour)
  }
  if (behaviour.headersDelayMs > 0) ex.after(behaviour.headersDelayMs, proceed)
  else proceed()
}

function answer(ex: Exchange, route: Route, json: ParsedJson | undefined, body: Buffer, behaviour: MockBehaviour): void {
  if (behaviour.fault === 'reset') {
    ex.destroySocket(true)
    return
  }
  // Hang: answer nothing; the exchange ends when the client (or close()) drops the socket.
  if (behaviour.fault === 'hang') return
  if (behaviour.status >= 400) {
    sendAnswer(ex, statusAnswer(behaviour.status), behaviour)
    return
  }
  const result = endpoint(ex, route, json, body, behaviour)
  if (result instanceof Promise) {
    // The transcription parser resolves every outcome, errors included, to an answer.
    void result.then((late) => {
      if (!ex.closed) sendAnswer(ex, late, behaviour)
    })
  } else {
    sendAnswer(ex, result, behaviour)
  }
}

const jsonEndpoints: Readonly<Record<'chat' | 'completions' | 'responses' | 'embeddings', (input: EndpointInput) => Answer>> = {
  chat: chatAnswer,
  completions: completionsAnswer,
  responses: responsesAnswer,
  embeddings: embeddingsAnswer,
}

function endpoint(
  ex: Exchange,
  route: Route,
  json: ParsedJson | undefined,
  body: Buffer,
  behaviour: MockBehaviour,
): Answer | Promise<Answer> {
  const { req } = ex
  switch (route.kind) {
    case 'chat':
    case 'completions':
    case 'responses':
    case 'embeddings': {
      if (json === undefined) return invalidRequest('Expected a JSON body.', 'invalid_json')
      if (!json.ok) return json.answer
      return jsonEndpoints[route.kind]({ id: ex.id, body: json.value, behaviour })
    }
    case 'transcriptions':
      return transcriptionAnswer(req.headers, body)
    case 'models':
      return modelsAnswer()
    case 'model':
      return modelAnswer(route.id)
    case 'echo':
      return echoAnswer(req, body)
    case 'healthz':
      return HEALTHZ
    case 'method-not-allowed':
      return {
        ...errorAnswer(405, `${req.method ?? ''} is not allowed on ${req.url ?? ''}; use ${route.allow}.`, { code: 'method_not_allowed' }),
        headers: { allow: route.allow },
      }
    case 'not-found':
      return errorAnswer(404, `Unknown request URL: ${req.method ?? ''} ${req.url ?? ''}.`, { code: 'unknown_url' })
  }
}
