import type { ChatMessage, ChatRequest } from '../../chat/request.js'
import { refuseChoices, settleExtra, unsupported } from '../fields.js'
import { renderPrompt, type PromptTemplate, type Turn } from './templates.js'

type Json = Record<string, unknown>

export interface PredictionSettings {
  promptTemplate: PromptTemplate
  maxTokensField: 'max_tokens' | 'max_new_tokens'
}

/** The create request: where it goes (under the API's base) and its body. */
export interface PredictionRequest {
  path: string
  body: Json
}

/**
 * Inputs of Replicate's language models that clients send in extra_body (cog-vllm's `predict.py`
 * and the Llama/Mistral models take them under these names).
 */
const takenExtra: ReadonlySet<string> = new Set(['seed', 'top_k', 'min_tokens', 'presence_penalty', 'frequency_penalty', 'repetition_penalty'])

/** `owner/name` (an official model) or `owner/name:version` (a model version). */
const modelName = /^([\w.-]+)\/([\w.-]+)(?::([\w.-]+))?$/

/**
 * A chat request as a Replicate prediction (translation.md §1, §7.1): an official model by its name
 * (`POST /v1/models/{owner}/{name}/predictions`), a version by `{version, input}` on
 * `POST /v1/predictions`; the messages rendered by the upstream's prompt template. Only the fields the
 * client set are sent (openai-api-route sent an absent temperature as 0): max tokens under the
 * configured input name, `stop` as Replicate's one comma-separated string.
 */
export function predictionRequest(chat: ChatRequest, settings: PredictionSettings, dropped: string[]): PredictionRequest {
  refuseChoices('replicate', chat)
  if (chat.tools !== undefined && chat.tools.length > 0) throw unsupported('replicate', 'tools', 'Replicate language models answer with text only.')
  const model = modelName.exec(chat.model)
  if (model === null) throw unsupported('replicate', 'model', `expected owner/name or owner/name:version (got ${JSON.stringify(chat.model)}).`)
  const input: Json = { ...renderPrompt(settings.promptTemplate, turns(chat.messages)) }
  if (chat.maxTokens !== undefined) input[settings.maxTokensField] = chat.maxTokens
  if (chat.temperature !== undefined) input.temperature = chat.temperature
  if (chat.topP !== undefined) input.top_p = chat.topP
  if (chat.stop !== undefined && chat.stop.length > 0) input.stop_sequences = stopSequences(chat.stop)
  // Without tools these say nothing the model could act on; named all the same.
  if (chat.toolChoice !== undefined && chat.toolChoice !== 'none' && chat.toolChoice !== 'auto') dropped.push('tool_choice')
  if (chat.parallelToolCalls !== undefined) dropped.push('parallel_tool_calls')
  if (chat.responseFormat?.type === 'json_schema') throw unsupported('replicate', 'response_format', 'Replicate language models cannot be held to a JSON schema.')
  if (chat.responseFormat?.type === 'json_object') dropped.push('response_format')
  if (chat.reasoningEffort !== undefined) dropped.push('reasoning_effort')
  if (chat.user !== undefined) dropped.push('user')
  Object.assign(input, settleExtra('replicate', chat, takenExtra, dropped))
  const [, owner, name, version] = model
  // `stream: true` is deprecated (urls.stream comes whenever the model can stream) but older deployments need it to offer one.
  const stream = chat.stream ? { stream: true } : {}
  if (version !== undefined) return { path: '/v1/predictions', body: { version, input, ...stream } }
  return { path: `/v1/models/${owner!}/${name!}/predictions`, body: { input, ...stream } }
}

/** Replicate takes stop sequences as one comma-separated string, so a sequence with a comma in it cannot be sent. */
function stopSequences(stop: readonly string[]): string {
  if (stop.some((sequence) => sequence.includes(','))) throw unsupported('replicate', 'stop', 'Replicate takes stop sequences as one comma-separated string, so none may contain a comma.')
  return stop.join(',')
}

/** The messages as text turns; what has no place in a text prompt (images, other parts, tool calls and results) is refused. */
function turns(messages: readonly ChatMessage[]): Turn[] {
  return messages.map((message, index) => {
    switch (message.role) {
      case 'system':
        return { role: 'system', text: message.text }
      case 'user': {
        let text = ''
        message.content.forEach((part, at) => {
          if (part.type === 'text') text += part.text
          else throw unsupported('replicate', `messages[${index}].content[${at}].type`, `a text prompt has no place for ${part.type === 'image' ? 'images' : `${part.kind} parts`}.`)
        })
        return { role: 'user', text }
      }
      case 'assistant':
        if (message.toolCalls.length > 0) throw unsupported('replicate', `messages[${index}].tool_calls`, 'Replicate language models answer with text only.')
        return { role: 'assistant', text: message.content.map((part) => part.text).join('') }
      case 'tool':
        throw unsupported('replicate', `messages[${index}].role`, 'Replicate language models take no tool results.')
    }
  })
}
