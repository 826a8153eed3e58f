import type { z } from 'zod'
import { bodyWithModel, translatedToChat } from '../openai/index.js'
import { swapEndpoint, upstreamPath } from '../path.js'
import type { PreparedAttempt, UpstreamProvider } from '../types.js'
import type { azureOptions } from './options.js'

type AzureSettings = z.infer<z.ZodObject<typeof azureOptions>> & { streamUsage: boolean }

const credentialHeaders: ReadonlySet<string> = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'])
const version = /^\/v1(?=\/|$)/
const openaiSegment = /\/openai(\/v1)?$/

// Azure's first streamed chunk carries only its prompt filter results, with `choices: []` and no usage;
// OpenAI clients that read choices[0] of every chunk fail on it (translation.md §4).
const FILTER_RESULTS = Buffer.from('"prompt_filter_results"')
const EMPTY_CHOICES = Buffer.from('"choices":[]')
const USAGE = Buffer.from('"usage":{')

/**
 * Azure OpenAI: OpenAI's bodies and answers, at a deployment's URL (`/openai/deployments/{name}/...
 * ?api-version=`) or, without an apiVersion, at the v1 API (`/openai/v1/...`) with the deployment as
 * the model; the key in `api-key`. The prompt-filter chunk that opens its streams is dropped.
 */
export function bindAzure(settings: AzureSettings): UpstreamProvider {
  const deploymentOf = (model: string | undefined) => (model === undefined ? undefined : (settings.deployments?.[model] ?? model))
  return {
    name: 'azure',
    credentialHeaders,
    setKey(headers, key) {
      if (settings.keyHeader === 'api-key') headers['api-key'] = key
      else headers.authorization = `Bearer ${key}`
    },
    // Counting tokens is Anthropic's endpoint: the gateway answers it with its own count instead.
    serves: (endpoint) => endpoint !== 'count_tokens',
    prepare(request, target): PreparedAttempt {
      // The configured URL may already end in /openai or /openai/v1: both are the resource's root here.
      const root = { ...target, basePath: target.basePath.replace(openaiSegment, '') }
      // Clients of other dialects (Anthropic Messages, Responses) get chat completions, the API every deployment serves.
      const translate = request.dialect === 'anthropic-messages' || request.dialect === 'openai-responses'
      const path = (translate ? swapEndpoint(request.rest, '/chat/completions') : request.rest).replace(version, '')
      const deployment = deploymentOf(request.model)
      if (settings.apiVersion === undefined) {
        if (translate) return translatedToChat(request, upstreamPath(root, `/openai/v1${path}`), settings.streamUsage, deployment)
        return { method: request.method, path: upstreamPath(root, `/openai/v1${path}`), body: bodyWithModel(request.json, request.body, deployment), dropEvent: isFilterChunk }
      }
      const under = deployment === undefined ? '/openai' : `/openai/deployments/${encodeURIComponent(deployment)}`
      const deploymentPath = upstreamPath(root, `${under}${path}`, `api-version=${settings.apiVersion}`)
      if (translate) return translatedToChat(request, deploymentPath, settings.streamUsage)
      return { method: request.method, path: deploymentPath, body: bodyWithModel(request.json, request.body, request.model), dropEvent: isFilterChunk }
    },
  }
}

function isFilterChunk(event: Buffer): boolean {
  return event.indexOf(FILTER_RESULTS) !== -1 && event.indexOf(EMPTY_CHOICES) !== -1 && event.indexOf(USAGE) === -1
}
