import { jsonAnswer, type Answer } from '../answer.js'
import type { ApiInput } from '../api.js'
import { isJsonObject, type JsonObject } from '../json-body.js'
import { planAnswer, type AnswerPlan } from '../plan.js'
import { textLength } from '../text.js'
import { geminiError } from './errors.js'

/** How an answer goes out: one JSON object (generateContent), SSE chunks (streamGenerateContent?alt=sse), or the chunks as one JSON array (without alt=sse). */
export type GenerateMode = 'plain' | 'sse' | 'array'

/**
 * POST …/models/{model}:generateContent and :streamGenerateContent, as the Gemini API answers them
 * (translation.md §3), from the same plan as every other API the mock speaks. It refuses what Gemini
 * refuses, so a gateway's translation is checked too: no key, no contents, a role other than user
 * or model, an empty part list, a functionResponse without a name, results that do not answer the
 * calls of the turn just before, more than five stop sequences. The behaviour's `usage` is not
 * read: Gemini always sends usageMetadata.
 */
export function generateAnswer({ id, body, headers, query, behaviour }: ApiInput, model: string, mode: GenerateMode): Answer {
  // Gemini takes the key from x-goog-api-key or ?key=; without either it does not know the caller.
  if (headers['x-goog-api-key'] === undefined && !query.has('key')) {
    return geminiError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", id)
  }
  const problem = invalid(body)
  if (problem !== undefined) return geminiError(400, problem, id)
  const config = isJsonObject(body.generationConfig) ? body.generationConfig : {}
  const calling = isJsonObject(body.toolConfig) && isJsonObject(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : {}
  const allowed = Array.isArray(calling.allowedFunctionNames) ? calling.allowedFunctionNames : []
  const plan = planAnswer({
    id,
    behaviour,
    promptChars: textLength(isJsonObject(body.systemInstruction) ? body.systemInstruction.parts : undefined) + contentsLength(body.contents),
    tools: toolNames(body.tools),
    toolChoice: calling.mode === 'NONE' ? 'none' : calling.mode === 'ANY' && allowed.length === 1 && typeof allowed[0] === 'string' ? allowed[0] : undefined,
    maxTokens: typeof config.maxOutputTokens === 'number' ? config.maxOutputTokens : undefined,
    stop: Array.isArray(config.stopSequences) ? config.stopSequences.filter((stop: unknown): stop is string => typeof stop === 'string') : undefined,
  })
  const head = { modelVersion: model, responseId: `resp_mock_${id}` }
  if (mode === 'plain') return jsonAnswer(200, { candidates: [candidate(wholeParts(plan, id), finishReason(plan))], usageMetadata: usage(plan, plan.usage.completion), ...head })

  // A stream: reasoning and text one piece per chunk, the calls whole in one chunk, the finish
  // reason on the last; usageMetadata on every chunk, counting what has been sent so far.
  const pieces: object[][] = [...plan.reasoning.map((text) => [{ text, thought: true }]), ...plan.content.map((text) => [{ text }])]
  if (plan.toolCalls.length > 0) pieces.push(callParts(plan, id))
  if (pieces.length === 0) pieces.push([{ text: '' }])
  const chunks = pieces.map((parts, at) => {
    const last = at === pieces.length - 1
    return { candidates: [candidate(parts, last ? finishReason(plan) : undefined)], usageMetadata: usage(plan, last ? plan.usage.completion : at + 1), ...head }
  })
  if (mode === 'array') return jsonAnswer(200, chunks)
  const events = chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`)
  const middle = Math.max(1, Math.floor(events.length / 2))
  const unavailable = `data: ${JSON.stringify({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } })}\n\n`
  return { kind: 'sse', events, truncateAt: middle, errorAt: middle, errorEvent: unavailable }
}

function candidate(parts: object[], finish: string | undefined): object {
  return { content: { parts, role: 'model' }, ...(finish !== undefined && { finishReason: finish }), index: 0 }
}

function wholeParts(plan: AnswerPlan, id: number): object[] {
  const parts: object[] = []
  if (plan.reasoning.length > 0) parts.push({ text: plan.reasoning.join(''), thought: true })
  if (plan.content.length > 0) parts.push({ text: plan.content.join('') })
  parts.push(...callParts(plan, id))
  return parts
}

/**
 * Function calls, whole, with the plan's ids. A thinking model signs its calls: as Gemini 3 does
 * with parallel calls, only the first carries the `thoughtSignature` that must come back next turn.
 */
function callParts(plan: AnswerPlan, id: number): object[] {
  const signed = plan.reasoning.length > 0
  return plan.toolCalls.map((call, at) => ({
    functionCall: { id: call.id, name: call.name, args: JSON.parse(call.arguments) as unknown },
    ...(signed && at === 0 && { thoughtSignature: `sig_mock_${id}` }),
  }))
}

function finishReason(plan: AnswerPlan): string {
  return plan.finish === 'length' ? 'MAX_TOKENS' : 'STOP'
}

/** usageMetadata after `completion` tokens of the answer: promptTokenCount includes cached tokens, candidatesTokenCount leaves out thoughts. */
function usage(plan: AnswerPlan, completion: number): object {
  const { prompt, cached, reasoning } = plan.usage
  const thoughts = Math.min(reasoning, completion)
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: completion - thoughts,
    totalTokenCount: prompt + completion,
    ...(cached > 0 && { cachedContentTokenCount: cached }),
    ...(thoughts > 0 && { thoughtsTokenCount: thoughts }),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  }
}

function toolNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return []
  const names: string[] = []
  for (const tool of tools) {
    if (!isJsonObject(tool) || !Array.isArray(tool.functionDeclarations)) continue
    for (const declaration of tool.functionDeclarations) names.push(isJsonObject(declaration) && typeof declaration.name === 'string' ? declaration.name : 'tool')
  }
  return names
}

function contentsLength(contents: unknown): number {
  if (!Array.isArray(contents)) return 0
  let total = 0
  for (const content of contents) if (isJsonObject(content)) total += textLength(content.parts)
  return total
}

/** The part fields that hold data; a part holds exactly one. */
const dataFields = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult']

/** What the real API refuses with 400 INVALID_ARGUMENT, in words like its own. */
function invalid(body: JsonObject): string | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified'
  if (body.systemInstruction !== undefined && !(isJsonObject(body.systemInstruction) && Array.isArray(body.systemInstruction.parts))) return '* GenerateContentRequest.system_instruction: parts is not specified'
  const config = isJsonObject(body.generationConfig) ? body.generationConfig : {}
  if (Array.isArray(config.stopSequences) && config.stopSequences.length > 5) return '* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed'
  let pendingCalls = 0
  for (const [index, content] of body.contents.entries()) {
    const at = `* GenerateContentRequest.contents[${index}]`
    if (!isJsonObject(content)) return `${at}: must be an object`
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') return 'Please use a valid role: user, model.'
    if (!Array.isArray(content.parts) || content.parts.length === 0) return `${at}.parts: contents.parts must not be empty.`
    let calls = 0
    let results = 0
    for (const [partIndex, part] of content.parts.entries()) {
      const where = `${at}.parts[${partIndex}]`
      if (!isJsonObject(part) || dataFields.filter((field) => part[field] !== undefined).length !== 1) return `${where}.data: required oneof field 'data' must have one initialized field`
      if (part.functionCall !== undefined) {
        if (!isJsonObject(part.functionCall) || typeof part.functionCall.name !== 'string' || part.functionCall.name === '') return `${where}.function_call.name: Name cannot be empty.`
        if (part.functionCall.args !== undefined && !isJsonObject(part.functionCall.args)) return `${where}.function_call.args: Invalid value (Struct), expected an object`
        calls++
      }
      if (part.functionResponse !== undefined) {
        if (!isJsonObject(part.functionResponse) || typeof part.functionResponse.name !== 'string' || part.functionResponse.name === '') return `${where}.function_response.name: Name cannot be empty.`
        if (!isJsonObject(part.functionResponse.response)) return `${where}.function_response.response: Invalid value (Struct), expected an object`
        results++
      }
    }
    if (calls > 0 && content.role !== 'model') return `${at}: a function call must come from the model.`
    if (results > 0 && content.role === 'model') return `${at}: a function response must be sent in a user turn.`
    if (results > 0 && pendingCalls === 0) return 'Please ensure that function response turn comes immediately after a function call turn.'
    if (pendingCalls > 0 && results !== pendingCalls) return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.'
    pendingCalls = calls
  }
  return undefined
}
