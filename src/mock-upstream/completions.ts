import { jsonTextAnswer, SSE_DONE, type Answer, type EndpointInput } from './answer.js'
import { includeUsage, modelOf, unixSeconds } from './json-body.js'
import { completionText, contentPieces, estimateTokens, perChunkCount, textLength, usageJson } from './text.js'

// Built from JSON fragments for speed, like chat.ts.

function choice(text: string, finishReason: string | null): string {
  return `{"text":${JSON.stringify(text)},"index":0,"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}`
}

const STOP_CHOICE = choice('', 'stop')
const contentChoices = perChunkCount((chunks) => contentPieces(chunks).map((piece) => choice(piece, null)))
const fullChoice = perChunkCount((chunks) => choice(completionText(chunks), 'stop'))

/** POST …/completions (legacy): a `text_completion`, streamed or not, with the same text as chat. */
export function completionsAnswer({ id, body, behaviour }: EndpointInput): Answer {
  const model = modelOf(body)
  if (typeof model !== 'string') return model
  const { chunks } = behaviour
  const usage = usageJson(estimateTokens(textLength(body.prompt)), chunks)
  const head = `{"id":"cmpl-mock-${id}","object":"text_completion","created":${unixSeconds()},"model":${JSON.stringify(model)},"choices":[`

  if (body.stream !== true) {
    return jsonTextAnswer(200, `${head}${fullChoice(chunks)}]${behaviour.usage ? `,"usage":${usage}` : ''}}`)
  }

  const prefix = `data: ${head}`
  const events: string[] = []
  for (const content of contentChoices(chunks)) events.push(`${prefix}${content}]}\n\n`)
  events.push(`${prefix}${STOP_CHOICE}]}\n\n`)
  if (behaviour.usage && includeUsage(body)) events.push(`${prefix}],"usage":${usage}}\n\n`)
  events.push(SSE_DONE)
  return { kind: 'sse', events, truncateAt: Math.floor(chunks / 2) }
}
