import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from '../../chat/request.js'
import { argumentsObject, isObject, parseJson } from '../decode.js'
import { refuseChoices, settleExtra, unsupported } from '../fields.js'
import { splitCallId } from './call-id.js'

type Json = Record<string, unknown>
type Role = 'user' | 'model'

/** Fields of `extra` Gemini has a place for, and their names in generationConfig. */
const extraNames: Readonly<Record<string, string>> = { seed: 'seed', presence_penalty: 'presencePenalty', frequency_penalty: 'frequencyPenalty', top_k: 'topK' }
const takenExtra: ReadonlySet<string> = new Set(Object.keys(extraNames))

/** reasoning_effort → a thinking budget in tokens, as for Anthropic (Gemini 2.5 takes 128 to 32768). */
const thinkingBudget: Record<string, number> = { low: 1024, medium: 4096, high: 16_384 }

/** Gemini refuses more stop sequences than this (GenerationConfig.stopSequences). */
const MAX_STOP_SEQUENCES = 5

/** Image types by file extension, for URLs sent as fileData (Gemini wants a mimeType); others are taken for JPEG. */
const imageTypes: Readonly<Record<string, string>> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic', heif: 'image/heif' }

/**
 * A chat request as a Gemini generateContent request (translation.md §3, §7.1): system messages to
 * `systemInstruction`, turns to `contents` with roles user and model, tool calls to `functionCall`
 * parts with parsed args (and their thought signature back on the same part), tool results to
 * `functionResponse` parts named after the call they answer, sampling and output controls to
 * `generationConfig`. The model goes in the path, not the body.
 */
export function generateContentRequest(chat: ChatRequest, dropped: string[]): Json {
  refuseChoices('gemini', chat)
  const body: Json = { contents: contents(chat.messages) }
  const system = chat.messages.flatMap((message) => (message.role === 'system' && message.text !== '' ? [{ text: message.text }] : []))
  if (system.length > 0) body.systemInstruction = { parts: system }
  if (chat.tools !== undefined && chat.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: chat.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description !== undefined && { description: tool.description }),
          // JSON Schema as OpenAI clients write it; `parameters` would want Google's OpenAPI subset.
          ...(tool.parameters !== undefined && { parametersJsonSchema: tool.parameters }),
        })),
      },
    ]
    if (chat.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: callingConfig(chat.toolChoice) }
  } else if (chat.toolChoice === 'required' || isObject(chat.toolChoice)) {
    dropped.push('tool_choice')
  }
  // Gemini has no switch for one call per turn.
  if (chat.parallelToolCalls === false) dropped.push('parallel_tool_calls')
  if (chat.user !== undefined) dropped.push('user')
  const config = generationConfig(chat, dropped)
  if (Object.keys(config).length > 0) body.generationConfig = config
  return body
}

function generationConfig(chat: ChatRequest, dropped: string[]): Json {
  const config: Json = {}
  if (chat.maxTokens !== undefined) config.maxOutputTokens = chat.maxTokens
  if (chat.temperature !== undefined) config.temperature = chat.temperature
  if (chat.topP !== undefined) config.topP = chat.topP
  if (chat.stop !== undefined && chat.stop.length > 0) {
    if (chat.stop.length > MAX_STOP_SEQUENCES) throw unsupported('gemini', 'stop', `Gemini takes at most ${MAX_STOP_SEQUENCES} stop sequences.`)
    config.stopSequences = chat.stop
  }
  // n = 1 is Gemini's default candidateCount; more were refused above.
  if (chat.responseFormat?.type === 'json_object') config.responseMimeType = 'application/json'
  else if (chat.responseFormat?.type === 'json_schema') {
    config.responseMimeType = 'application/json'
    config.responseJsonSchema = chat.responseFormat.schema
  }
  for (const [field, value] of Object.entries(settleExtra('gemini', chat, takenExtra, dropped))) config[extraNames[field]!] = value
  if (chat.reasoningEffort !== undefined) {
    const budget = thinkingBudget[chat.reasoningEffort]
    // includeThoughts: the client asked for reasoning, so it gets the thought summaries as reasoning_content.
    if (budget !== undefined) config.thinkingConfig = { thinkingBudget: budget, includeThoughts: true }
    else dropped.push('reasoning_effort')
  }
  return config
}

function callingConfig(choice: ToolChoice): Json {
  if (choice === 'auto') return { mode: 'AUTO' }
  if (choice === 'none') return { mode: 'NONE' }
  if (choice === 'required') return { mode: 'ANY' }
  return { mode: 'ANY', allowedFunctionNames: [choice.name] }
}

/**
 * The conversation as Gemini's contents: user and model turns, consecutive ones of a role merged
 * (Gemini wants them alternating), tool results as functionResponse parts of a user turn, ahead of
 * any text there. Gemini names a result by its function, which an OpenAI tool message does not say:
 * the names of the calls seen so far are kept by id while walking the messages. Reasoning the client
 * sends back is not sent: Gemini keeps its reasoning in signatures, not in text.
 */
function contents(messages: readonly ChatMessage[]): Json[] {
  const out: { role: Role; parts: Json[] }[] = []
  const callNames = new Map<string, string>()
  const add = (role: Role, parts: Json[]) => {
    if (parts.length === 0) return
    const last = out.at(-1)
    if (last?.role === role) last.parts.push(...parts)
    else out.push({ role, parts })
  }
  messages.forEach((message, index) => {
    if (message.role === 'system') return
    if (message.role === 'user') add('user', message.content.flatMap((part, at) => partOf(part, `messages[${index}].content[${at}]`)))
    else if (message.role === 'tool') add('user', [functionResponse(message.toolCallId, message.content, callNames, index)])
    else {
      const parts: Json[] = message.content.filter((part) => part.text !== '').map((part) => ({ text: part.text }))
      for (const call of message.toolCalls) {
        callNames.set(call.id, call.name)
        const { id, signature } = splitCallId(call.id)
        parts.push({ functionCall: { name: call.name, args: argumentsObject(call.arguments), ...(id !== undefined && { id }) }, ...(signature !== undefined && { thoughtSignature: signature }) })
      }
      add('model', parts)
    }
  })
  // Results first within a user turn: text the client put after them stays after them.
  for (const turn of out) if (turn.role === 'user') turn.parts.sort((a, b) => Number('functionResponse' in b) - Number('functionResponse' in a))
  return out
}

/** A user part; empty text is left out (Gemini refuses a part without data). */
function partOf(part: ContentPart, param: string): Json[] {
  if (part.type === 'text') return part.text === '' ? [] : [{ text: part.text }]
  if (part.type === 'image') {
    if (part.inline !== undefined) return [{ inlineData: { mimeType: part.inline.mediaType, data: part.inline.data } }]
    if (/^https:\/\//i.test(part.url)) return [{ fileData: { mimeType: imageType(part.url), fileUri: part.url } }]
    throw unsupported('gemini', `${param}.image_url.url`, 'an image must be a data: URL or an https URL.')
  }
  throw unsupported('gemini', `${param}.type`, `content parts of type ${part.kind} have no Gemini equivalent here.`)
}

function imageType(url: string): string {
  const path = url.split(/[?#]/, 1)[0] ?? ''
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase()
  return (extension !== undefined ? imageTypes[extension] : undefined) ?? 'image/jpeg'
}

/** A tool message as a functionResponse: the name of the call it answers, its text as an object (Gemini's `response` is one). */
function functionResponse(toolCallId: string, content: readonly ContentPart[], callNames: ReadonlyMap<string, string>, index: number): Json {
  const name = callNames.get(toolCallId)
  if (name === undefined) throw unsupported('gemini', `messages[${index}].tool_call_id`, 'Gemini names a tool result by its function, so it must answer a tool call earlier in the conversation.')
  let text = ''
  content.forEach((part, at) => {
    if (part.type !== 'text') throw unsupported('gemini', `messages[${index}].content[${at}].type`, 'a tool result sent to Gemini must be text.')
    text += part.text
  })
  const parsed = parseJson(text)
  const { id } = splitCallId(toolCallId)
  return { functionResponse: { name, response: isObject(parsed) ? parsed : { content: text }, ...(id !== undefined && { id }) } }
}
