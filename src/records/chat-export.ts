import type { RequestRecord } from './record.js'
import { formatLocalDateTime } from './since.js'

/**
 * A record → one item of OpenAI-Forward's `chat_openai.json` (what `aifd convert` writes; research
 * seeds.md A.4.8, openai_forward/helper.py `get_matches`). Field names and their order are the
 * seed's, so tools written for that file read ours.
 */
export interface ChatExport {
  /** Local wall time of the request's arrival, `YYYY-MM-DD HH:MM:SS` (see chatExport). */
  datetime: string
  /** The client IP; '' when unknown, as OpenAI-Forward writes `get_client_ip(request) or ""`. */
  ip: string
  model: unknown
  temperature: unknown
  /** One `{ role: content }` object per message. */
  messages: Record<string, unknown>[]
  tools: unknown
  is_tool_calls: boolean
  /** The answer's text, or the tool calls when is_tool_calls. */
  assistant: unknown
}

/** Why a record was left out of the export; `convert` reports the counts. */
export type ChatSkip = 'not-chat' | 'no-content' | 'failed' | 'unreadable'

export type ChatExportResult = { ok: true; item: ChatExport } | { ok: false; skip: ChatSkip }

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** True for the chat completions endpoint under any route prefix (also Azure's deployments path). */
export function isChatPath(path: string): boolean {
  return path.split('?')[0]!.replace(/\/+$/, '').endsWith('/chat/completions')
}

/**
 * A message's content as the export keeps it. OpenAI-Forward writes `str(content)`, which turns a
 * list of parts into a Python repr nobody can parse back; instead:
 * - a string stays as it is;
 * - text-only parts are joined with "\n" into one string, the shape consumers of this file expect;
 * - parts with anything else (images, audio, files) are kept as the parts array, so nothing is lost;
 * - no content beside tool calls (an assistant turn that called tools) becomes those tool calls,
 *   as the top-level `assistant` field does.
 */
function messageContent(message: Record<string, unknown>): unknown {
  const { content } = message
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    const texts = content.map((part) => (isObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : undefined))
    return texts.every((text) => text !== undefined) ? texts.join('\n') : content
  }
  if ((content === null || content === undefined) && Array.isArray(message.tool_calls)) return message.tool_calls
  return content ?? null
}

/**
 * One record as a chat_openai.json item, or why it is not one. Only answered chat completions are
 * exported: OpenAI-Forward pairs a request line with its result line, and logs a result only for
 * an ok answer, so failed exchanges never reach its file either.
 *
 * `datetime` is the local time of the process running the export (its TZ variable applies), not UTC:
 * OpenAI-Forward writes `time.localtime()` of its own process, which honours TZ too, and the field
 * has no offset, so readers of this file already take it as local wall time.
 */
export function chatExport(record: RequestRecord): ChatExportResult {
  if (!isChatPath(record.path)) return { ok: false, skip: 'not-chat' }
  const content = record.content
  // Levels none and meta keep no content; kept headers alone are no exchange either.
  if (record.level !== 'full' || content?.request === undefined) return { ok: false, skip: 'no-content' }
  if (record.status >= 400) return { ok: false, skip: 'failed' }
  const request = content.request
  if (!isObject(request) || !Array.isArray(request.messages)) return { ok: false, skip: 'unreadable' }
  const messages: Record<string, unknown>[] = []
  for (const message of request.messages) {
    if (!isObject(message) || typeof message.role !== 'string') return { ok: false, skip: 'unreadable' }
    messages.push({ [message.role]: messageContent(message) })
  }
  const toolCalls = content.toolCalls
  const isToolCalls = Array.isArray(toolCalls) && toolCalls.length > 0
  return {
    ok: true,
    item: {
      datetime: formatLocalDateTime(record.time),
      ip: record.clientIp ?? '',
      model: request.model ?? record.model ?? null,
      // OpenAI-Forward logs payload.get('temperature', 1): absent means the API default, 1.
      temperature: 'temperature' in request ? request.temperature : 1,
      messages,
      tools: request.tools ?? null,
      is_tool_calls: isToolCalls,
      assistant: isToolCalls ? toolCalls : (content.response ?? null),
    },
  }
}
