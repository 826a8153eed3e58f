import { isObject } from '../decode.js'

type Json = Record<string, unknown>

/**
 * An Anthropic client's Messages body, sent on to Anthropic as it came (byte for byte), with two
 * exceptions: the model when the upstream's model map renames it, and thinking blocks without a
 * signature. Those come from answers another provider gave in the same conversation (the gateway
 * never makes up a signature), and Anthropic refuses them ("Invalid signature in thinking block",
 * translation.md §6a), so they are taken out rather than failing the session.
 */
export function passthroughBody(json: Json | undefined, body: Buffer | undefined, model: string | undefined): Buffer | string | null {
  if (json === undefined) return body ?? null
  const renamed = model !== undefined && json.model !== model
  const messages = Array.isArray(json.messages) && json.messages.some(hasForeignThinking) ? json.messages.map(withoutForeignThinking) : undefined
  if (!renamed && messages === undefined) return body ?? null
  return JSON.stringify({ ...json, ...(renamed && { model }), ...(messages !== undefined && { messages }) })
}

function isForeignThinking(block: unknown): boolean {
  return isObject(block) && block.type === 'thinking' && (typeof block.signature !== 'string' || block.signature === '')
}

function hasForeignThinking(message: unknown): boolean {
  return isObject(message) && message.role === 'assistant' && Array.isArray(message.content) && message.content.some(isForeignThinking)
}

function withoutForeignThinking(message: unknown): unknown {
  if (!hasForeignThinking(message)) return message
  const turn = message as Json
  return { ...turn, content: (turn.content as unknown[]).filter((block) => !isForeignThinking(block)) }
}
