import type { Endpoint } from '../routing/endpoint.js'

/**
 * Asking a stream for its usage without the client noticing. With `stream_options.include_usage`
 * OpenAI adds a last chunk (`choices: []`, the usage) and a `"usage":null` member to every other
 * chunk. When the gateway asked and the client did not, both are taken out again on the way back.
 */

/** Chat and legacy completions are the endpoints whose streams take stream_options. */
export function streamTakesUsageOption(endpoint: Endpoint): boolean {
  return endpoint === 'chat' || endpoint === 'completions'
}

/** True when the client asked for usage itself (then nothing is hidden). */
export function clientAskedStreamUsage(json: Record<string, unknown>): boolean {
  const options = json.stream_options
  return options !== null && typeof options === 'object' && (options as Record<string, unknown>).include_usage === true
}

/** The request body with include_usage turned on; other stream_options are kept. */
export function jsonAskingStreamUsage(json: Record<string, unknown>): Record<string, unknown> {
  const options = json.stream_options !== null && typeof json.stream_options === 'object' ? json.stream_options : {}
  return { ...json, stream_options: { ...options, include_usage: true } }
}

// Inside a JSON string every `"` is escaped, so a `,"usage":null` with bare quotes can only be a real
// member of the event's object: text the model wrote is never touched.
const NULL_USAGE = /,\s*"usage"\s*:\s*null(?=\s*[,}])/g
const USAGE_NAME = Buffer.from('"usage"')

const COMMA = 0x2c
const COLON = 0x3a
const CLOSE_BRACE = 0x7d
const NULL = Buffer.from('null')

/**
 * The event without the `"usage":null` member include_usage added; the same buffer when it has none.
 * Cut from the bytes (this runs on every event of such a stream: the string round trip showed in its
 * profile); members in JSON whitespace other than the compact form go through the expression.
 */
export function withoutNullUsage(event: Buffer): Buffer {
  const at = event.indexOf(USAGE_NAME)
  if (at === -1) return event
  // The compact form OpenAI sends: `,"usage":null` then `,` or `}`, once.
  const end = at + USAGE_NAME.length + 1 + NULL.length
  const compact = at > 0 && event[at - 1] === COMMA && event[at + USAGE_NAME.length] === COLON && event.indexOf(NULL, at + USAGE_NAME.length + 1) === at + USAGE_NAME.length + 1
  if (compact && (event[end] === COMMA || event[end] === CLOSE_BRACE) && event.indexOf(USAGE_NAME, end) === -1) {
    return Buffer.concat([event.subarray(0, at - 1), event.subarray(end)])
  }
  const text = event.toString('utf8')
  const stripped = text.replace(NULL_USAGE, '')
  return stripped.length === text.length ? event : Buffer.from(stripped)
}
