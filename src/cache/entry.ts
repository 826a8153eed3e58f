import type { AssembledCompletion } from '../answers/chat-assembler.js'

/** A cached chat answer: one completion, replayable as a stream or a plain answer. */
export interface ChatEntry {
  kind: 'chat'
  completion: AssembledCompletion
}

/** Any other cached answer: its status, content type and bytes, replayed as they came. */
export interface RawEntry {
  kind: 'raw'
  status: number
  contentType: string | undefined
  body: Buffer
}

export type CacheEntry = ChatEntry | RawEntry

const NEWLINE = 10

/**
 * One line of JSON (what the entry is) and then, for raw entries, the body bytes as they are: no
 * base64 inflation, and JSON.stringify never writes a raw newline, so the first one ends the head.
 */
export function encodeEntry(entry: CacheEntry): Buffer {
  if (entry.kind === 'chat') return Buffer.from(`${JSON.stringify({ v: 1, kind: 'chat', completion: entry.completion })}\n`)
  const head = Buffer.from(`${JSON.stringify({ v: 1, kind: 'raw', status: entry.status, contentType: entry.contentType ?? null })}\n`)
  return Buffer.concat([head, entry.body])
}

/** The entry, or undefined for bytes this version cannot read (a newer format, damage): treated as a miss. */
export function decodeEntry(bytes: Buffer): CacheEntry | undefined {
  const end = bytes.indexOf(NEWLINE)
  if (end === -1) return undefined
  let head: Record<string, unknown>
  try {
    head = JSON.parse(bytes.subarray(0, end).toString('utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
  if (head.v !== 1) return undefined
  if (head.kind === 'chat' && head.completion !== null && typeof head.completion === 'object') {
    return { kind: 'chat', completion: head.completion as AssembledCompletion }
  }
  if (head.kind === 'raw' && typeof head.status === 'number') {
    return { kind: 'raw', status: head.status, contentType: typeof head.contentType === 'string' ? head.contentType : undefined, body: bytes.subarray(end + 1) }
  }
  return undefined
}
