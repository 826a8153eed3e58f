import type { Answer } from '../answer.js'
import type { ApiInput, MockApi, MockEndpoint } from '../api.js'
import { chatAnswer } from '../chat.js'
import { errorAnswer } from '../openai-error.js'

/**
 * Azure OpenAI (translation.md §4): OpenAI's chat answers at a deployment's URL
 * (`/openai/deployments/{name}/chat/completions?api-version=...`) or at the v1 API
 * (`/openai/v1/chat/completions`), the key in `api-key`. Its streams open with a chunk that carries
 * only the prompt filter results (`choices: []`), which OpenAI clients cannot read; plain answers
 * carry the same results beside the choices.
 */
const deploymentChat = /\/openai\/deployments\/([^/]+)\/chat\/completions$/
const v1Chat = /\/openai\/v1\/chat\/completions$/

const FILTER_RESULTS = [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' } } }]

function azureError(status: number, message: string): ReturnType<typeof errorAnswer> {
  return errorAnswer(status, message)
}

function chat(deployment: string | undefined): MockEndpoint {
  return {
    json: true,
    error: azureError,
    answer: (input) => azureChat(input, deployment),
  }
}

function azureChat(input: ApiInput, deployment: string | undefined): Answer {
  // The v1 path is also an OpenAI-compatible path under /openai: only a deployment URL insists on a key.
  if (deployment !== undefined && typeof input.headers['api-key'] !== 'string' && typeof input.headers.authorization !== 'string') return azureError(401, 'Access denied due to missing subscription key.')
  if (deployment !== undefined && !input.query.has('api-version')) return azureError(404, 'Resource not found: api-version is required.')
  // Azure names the deployment's model in its answers; the mock echoes the body's (a deployment per model, named alike).
  const answer = chatAnswer({ id: input.id, body: input.body, behaviour: input.behaviour })
  if (answer.kind === 'sse') {
    const filter = `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: FILTER_RESULTS })}\n\n`
    return { ...answer, events: [filter, ...answer.events], truncateAt: answer.truncateAt + 1, ...(answer.errorAt !== undefined && { errorAt: answer.errorAt + 1 }) }
  }
  if (answer.status !== 200 || typeof answer.body !== 'string') return answer
  return { ...answer, body: `${answer.body.slice(0, -1)},"prompt_filter_results":${JSON.stringify(FILTER_RESULTS)}}` }
}

export const azureApi: MockApi = {
  match(method, path) {
    if (method !== 'POST') return undefined
    const dated = deploymentChat.exec(path)
    if (dated !== null) return chat(dated[1])
    return v1Chat.test(path) ? chat(undefined) : undefined
  },
}
