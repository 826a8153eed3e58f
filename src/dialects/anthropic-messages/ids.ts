import { randomBytes } from 'node:crypto'

/** Anthropic's ids are `msg_` / `toolu_` and letters, digits, `_`, `-`: the SDK and Claude Code take any such tail. */
function randomTail(): string {
  return randomBytes(18).toString('base64url')
}

/** An answer id in Anthropic's form: an upstream id already `msg_...` is kept, others are prefixed and cleaned. */
export function answerId(upstreamId: string): string {
  if (upstreamId.startsWith('msg_')) return upstreamId
  const tail = upstreamId.replace(/[^A-Za-z0-9_-]/g, '')
  return `msg_${tail === '' ? randomTail() : tail}`
}

/** A tool call id: the upstream's as it is (the client sends it back in its tool_result), or a new one when it gave none. */
export function toolUseId(upstreamId: string): string {
  return upstreamId === '' ? `toolu_${randomTail()}` : upstreamId
}
