import { jsonTextAnswer, SSE_DONE, type Answer, type EndpointInput } from './answer.js'
import { includeUsage, isJsonObject, modelOf, unixSeconds, type JsonObject } from './json-body.js'
import { completionText, contentPieces, estimateTokens, perChunkCount, textLength, usageJson } from './text.js'

// This is every benchmark's hot path, so answers are assembled from JSON fragments (the
// constant ones built once per chunk count) rather than by JSON.stringify of a fresh object
// tree, which costs about three times as much. Field order follows OpenAI's.

function choice(delta: object, finishReason: string | null): string {
  return `{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}`
}

const ROLE_CHOICE = choice({ role: 'assistant', content: '', refusal: null }, null)
const STOP_CHOICE = choice({}, 'stop')
const TOOL_CALLS_CHOICE = choice({}, 'tool_calls')
const contentChoices = perChunkCount((chunks) => contentPieces(chunks).map((piece) => choice({ content: piece }, null)))
const textMessage = perChunkCount((chunks) =>
  JSON.stringify({ role: 'assistant', content: completionText(chunks), refusal: null }),
)

/** POST …/chat/completions: text, or a tool call when the request offers tools. */
export function chatAnswer({ id, body, behaviour }: EndpointInput): Answer {
  const model = modelOf(body)
  if (typeof model !== 'string') return model
  const { chunks } = behaviour
  const usage = usageJson(estimateTokens(messagesLength(body.messages)), chunks)
  const tool = toolName(body)
  // Everything up to the choices array; the caller closes it.
  const head = (object: string): string =>
    `{"id":"chatcmpl-mock-${id}","object":"${object}","created":${unixSeconds()},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[`

  if (body.stream !== true) {
    const message =
      tool === undefined
        ? textMessage(chunks)
        : JSON.stringify({ role: 'assistant', content: null, refusal: null, tool_calls: [toolCall(id, tool, '{}')] })
    const finish = tool === undefined ? 'stop' : 'tool_calls'
    const usageField = behaviour.usage ? `,"usage":${usage}` : ''
    return jsonTextAnswer(
      200,
      `${head('chat.completion')}{"index":0,"message":${message},"logprobs":null,"finish_reason":"${finish}"}]${usageField}}`,
    )
  }

  // As OpenAI does: with include_usage every chunk carries `usage: null` and a last chunk with
  // `choices: []` carries the totals.
  const withUsage = behaviour.usage && includeUsage(body)
  const prefix = `data: ${head('chat.completion.chunk')}`
  const suffix = withUsage ? '],"usage":null}\n\n' : ']}\n\n'
  const events: string[] = []
  if (tool === undefined) {
    events.push(prefix + ROLE_CHOICE + suffix)
    for (const content of contentChoices(chunks)) events.push(prefix + content + suffix)
    events.push(prefix + STOP_CHOICE + suffix)
  } else {
    const first = { role: 'assistant', content: null, tool_calls: [{ index: 0, ...toolCall(id, tool, chunks === 0 ? '{}' : '') }] }
    events.push(prefix + choice(first, null) + suffix)
    for (const piece of argumentPieces(chunks)) {
      events.push(prefix + choice({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null) + suffix)
    }
    events.push(prefix + TOOL_CALLS_CHOICE + suffix)
  }
  if (withUsage) events.push(`${prefix}],"usage":${usage}}\n\n`)
  events.push(SSE_DONE)
  return { kind: 'sse', events, truncateAt: 1 + Math.floor(chunks / 2) }
}

function messagesLength(messages: unknown): number {
  if (!Array.isArray(messages)) return 0
  let total = 0
  for (const message of messages) if (isJsonObject(message)) total += textLength(message.content)
  return total
}

/** The tool to call: the one `tool_choice` names, else the first tool; none for `tool_choice: "none"`. */
function toolName(body: JsonObject): string | undefined {
  const { tools, tool_choice: chosen } = body
  if (!Array.isArray(tools) || tools.length === 0 || chosen === 'none') return undefined
  const named = isJsonObject(chosen) && isJsonObject(chosen.function) ? chosen.function.name : undefined
  if (typeof named === 'string') return named
  const first: unknown = tools[0]
  const name = isJsonObject(first) && isJsonObject(first.function) ? first.function.name : undefined
  return typeof name === 'string' ? name : 'tool'
}

function toolCall(id: number, name: string, args: string): object {
  return { id: `call_mock_${id}`, type: 'function', function: { name, arguments: args } }
}

/** `{}` spread over the chunks: `{` first, `}` last, empty pieces between. */
function argumentPieces(chunks: number): string[] {
  const pieces = Array.from({ length: chunks }, () => '')
  if (chunks === 0) return pieces
  pieces[0] = '{'
  pieces[chunks - 1] += '}'
  return pieces
}
