/**
 * The usage object of a plain JSON answer, read from its bytes without parsing the whole answer:
 * what records at level meta and token quotas need from every plain answer. Profiled under load,
 * parsing the whole answer for these few numbers cost more than anything else a record adds.
 */

const USAGE_KEY = Buffer.from('"usage"')
const OPEN = 123 // {
const CLOSE = 125 // }
const OPEN_LIST = 91 // [
const CLOSE_LIST = 93 // ]
const QUOTE = 34 // "
const BACKSLASH = 92
const COLON = 58
const COMMA = 44
const ZERO = 48
const NINE = 57

function isSpace(byte: number | undefined): boolean {
  return byte === 32 || byte === 10 || byte === 13 || byte === 9
}

/**
 * The last `"usage": {...}` object of a JSON answer, read on its own. Text the model wrote cannot
 * match: inside a JSON string every quote is escaped, so `"usage"` with bare quotes is always a key.
 */
export function usageObjectIn(body: Buffer): unknown {
  const key = lastUsageKey(body)
  if (key === -1) return undefined
  // Only `"usage": {`: a `null` (or anything else) after the key is no usage.
  let start = key + USAGE_KEY.length
  while (start < body.length && (isSpace(body[start]) || body[start] === COLON)) start++
  if (body[start] !== OPEN) return undefined
  const counts = tokenCountsAt(body, start)
  if (counts !== undefined) return counts
  let depth = 0
  let inString = false
  for (let at = start; at < body.length; at++) {
    const byte = body[at]
    if (inString) {
      if (byte === BACKSLASH) at++
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) inString = true
    else if (byte === OPEN) depth++
    // latin1: the usage object is numbers under ASCII keys, and a byte-per-char decode is the cheapest (any other text in it still parses).
    else if (byte === CLOSE && --depth === 0) return parseObject(body.toString('latin1', start, at + 1))
  }
  return undefined
}

/** Bytes at the end of an answer searched in JS before Buffer.lastIndexOf: where the usage nearly always is. */
const TAIL_BYTES = 512

/**
 * Where the last `"usage"` starts, or -1. The tail is searched here: profiled, Buffer.lastIndexOf's
 * trip into C++ cost more than the search itself, the key being among the last hundred bytes.
 */
function lastUsageKey(body: Buffer): number {
  const tailStart = Math.max(0, body.length - TAIL_BYTES)
  for (let at = body.length - USAGE_KEY.length; at >= tailStart; at--) if (spells(body, at, USAGE_KEY)) return at
  // The rest: a key starting before the tail (it may reach into it).
  return tailStart === 0 ? -1 : body.lastIndexOf(USAGE_KEY, tailStart - 1)
}

/** The members usageOf() reads, as bytes to compare names with. */
const countNames = ['prompt_tokens', 'completion_tokens', 'total_tokens', 'input_tokens', 'output_tokens'].map((name) => ({ name, bytes: Buffer.from(name) }))

/** Whether body holds `bytes` at `at`. */
function spells(body: Buffer, at: number, bytes: Buffer): boolean {
  let index = 0
  while (index < bytes.length && body[at + index] === bytes[index]) index++
  return index === bytes.length
}

/** The name in countNames that body[start, end) spells, if any. */
function countNameAt(body: Buffer, start: number, end: number): string | undefined {
  for (const { name, bytes } of countNames) if (bytes.length === end - start && spells(body, start, bytes)) return name
  return undefined
}

/**
 * The token counts of the usage object that starts at body[open], read without JSON.parse: in CPU
 * profiles of a gateway under load, parsing these few bytes took 1.3% of the event loop, more than
 * building the record. Reads the top-level members named in countNames whose value is a plain
 * non-negative integer; anything else under those names (a null, a fraction, an escape) or a
 * nested object (the details) gives undefined, and the caller parses the usage object instead.
 * Other members are skipped, not checked: this is no JSON validator.
 */
function tokenCountsAt(body: Buffer, open: number): Record<string, number> | undefined {
  const counts: Record<string, number> = {}
  const end = body.length
  let depth = 0
  for (let at = open; at < end; at++) {
    const byte = body[at]
    // A nested object (prompt_tokens_details, ...) holds counts too: the caller parses the usage object instead.
    if (byte === OPEN && depth > 0) return undefined
    if (byte === OPEN || byte === OPEN_LIST) depth++
    else if ((byte === CLOSE || byte === CLOSE_LIST) && --depth === 0) return counts
    if (byte !== QUOTE) continue
    const nameStart = at + 1
    let nameEnd = nameStart
    for (; nameEnd < end && body[nameEnd] !== QUOTE; nameEnd++) if (body[nameEnd] === BACKSLASH) return undefined
    at = nameEnd
    if (depth !== 1) continue
    let next = nameEnd + 1
    while (isSpace(body[next])) next++
    // A string not followed by a colon is a value, not a member's name.
    if (body[next] !== COLON) continue
    const name = countNameAt(body, nameStart, nameEnd)
    if (name === undefined) continue
    next++
    while (isSpace(body[next])) next++
    const digitsStart = next
    let value = 0
    for (; next < end && body[next]! >= ZERO && body[next]! <= NINE; next++) value = value * 10 + body[next]! - ZERO
    const digits = next - digitsStart
    // Not a plain integer (null, negative, a leading zero, past 2^53): JSON.parse decides.
    if (digits === 0 || digits > 15 || (digits > 1 && body[digitsStart] === ZERO)) return undefined
    while (isSpace(body[next])) next++
    // The member must end here: a comma, or the object's close brace (seen by the loop next).
    if (body[next] !== COMMA && body[next] !== CLOSE) return undefined
    counts[name] = value
    at = next - 1
  }
  // Cut off before the object closed.
  return undefined
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
