import type { IncomingHttpHeaders } from 'node:http'
import type { MockBehaviour, MockFault } from './types.js'

/** A bad behaviour value; the message names where it came from (header, body field, option). */
export class MockBehaviourError extends Error {
  override name = 'MockBehaviourError'
}

export const defaultBehaviour: Readonly<MockBehaviour> = Object.freeze({
  status: 200,
  fault: 'none',
  headersDelayMs: 0,
  chunks: 3,
  chunkDelayMs: 0,
  usage: true,
  reasoning: false,
  cachedTokens: 0,
  toolCalls: 1,
  streamError: false,
})

// Bounds keep a typo from parking a socket for hours or building a gigabyte stream.
const MAX_DELAY_MS = 600_000
const MAX_CHUNKS = 100_000
const FAULTS: readonly MockFault[] = ['none', 'reset', 'hang', 'truncate', 'malformed', 'flood']
// A Retry-After value goes straight into a header: visible ASCII only, so writeHead cannot throw.
const HEADER_VALUE = /^[\t\x20-\x7e]*$/
const DIGITS = /^\s*\d+\s*$/

type Values = Required<MockBehaviour>
type FieldParsers = { [K in keyof Values]: (raw: unknown, label: string) => Values[K] }

const parsers: FieldParsers = {
  status: (raw, label) => integer(raw, label, 200, 599),
  fault: (raw, label) => {
    const fault = FAULTS.find((f) => f === raw)
    if (fault === undefined) fail(label, `one of ${FAULTS.join(', ')}`, raw)
    return fault
  },
  headersDelayMs: (raw, label) => integer(raw, label, 0, MAX_DELAY_MS),
  chunks: (raw, label) => integer(raw, label, 0, MAX_CHUNKS),
  chunkDelayMs: (raw, label) => integer(raw, label, 0, MAX_DELAY_MS),
  retryAfter: (raw, label) => {
    if (typeof raw === 'number') return String(integer(raw, label, 0, 86_400))
    if (typeof raw === 'string' && raw.length <= 100 && HEADER_VALUE.test(raw)) return raw
    return fail(label, 'a header value of at most 100 visible ASCII characters', raw)
  },
  usage: (raw, label) => flag(raw, label),
  reasoning: (raw, label) => flag(raw, label),
  cachedTokens: (raw, label) => integer(raw, label, 0, 1_000_000),
  toolCalls: (raw, label) => integer(raw, label, 1, 8),
  streamError: (raw, label) => flag(raw, label),
}

function flag(raw: unknown, label: string): boolean {
  if (raw === true || raw === 'true' || raw === '1') return true
  if (raw === false || raw === 'false' || raw === '0') return false
  return fail(label, 'true or false', raw)
}

/** Header names of the per-request overrides; the body field `mock` uses the camelCase keys. */
export const overrideHeaders: { readonly [K in keyof MockBehaviour]-?: string } = {
  status: 'x-mock-status',
  fault: 'x-mock-fault',
  headersDelayMs: 'x-mock-headers-delay-ms',
  chunks: 'x-mock-chunks',
  chunkDelayMs: 'x-mock-chunk-delay-ms',
  retryAfter: 'x-mock-retry-after',
  usage: 'x-mock-usage',
  reasoning: 'x-mock-reasoning',
  cachedTokens: 'x-mock-cached-tokens',
  toolCalls: 'x-mock-tool-calls',
  streamError: 'x-mock-stream-error',
}

function isBehaviourKey(key: string): key is keyof MockBehaviour {
  return Object.hasOwn(parsers, key)
}

// Computed once: header lookup runs on every request.
const headerEntries: ReadonlyArray<readonly [keyof MockBehaviour, string]> = Object.entries(overrideHeaders).flatMap(
  ([key, name]) => (isBehaviourKey(key) ? [[key, name] as const] : []),
)

function fail(label: string, expected: string, raw: unknown): never {
  const shown = JSON.stringify(raw) ?? String(raw)
  throw new MockBehaviourError(`${label} must be ${expected} (got ${shown.slice(0, 60)})`)
}

function integer(raw: unknown, label: string, min: number, max: number): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && DIGITS.test(raw) ? Number(raw) : NaN
  if (!Number.isInteger(n) || n < min || n > max) fail(label, `an integer from ${min} to ${max}`, raw)
  return n
}

function assign<K extends keyof MockBehaviour>(out: Partial<MockBehaviour>, key: K, raw: unknown, label: string): void {
  out[key] = parsers[key](raw, label)
}

/**
 * Checks a typed partial behaviour (start options, setBehaviour): JavaScript callers can still
 * pass anything, so unknown keys and bad values throw. Undefined values mean "unchanged".
 */
export function validateBehaviour(input: Partial<MockBehaviour>, label: string): Partial<MockBehaviour> {
  const out: Partial<MockBehaviour> = {}
  for (const [key, raw] of Object.entries(input)) {
    if (!isBehaviourKey(key)) throw new MockBehaviourError(`${label}.${key} is not a mock behaviour option`)
    if (raw !== undefined) assign(out, key, raw, `${label}.${key}`)
  }
  return out
}

/**
 * Behaviour from string options, e.g. CLI flags parsed by commander:
 * `{ status: '500', fault: 'reset', chunks: '20' }`. Other keys (port, host…) are ignored so a
 * command can pass its whole options object. Throws naming the option on a bad value.
 */
export function behaviourFromOptions(opts: Record<string, string | undefined>): Partial<MockBehaviour> {
  const out: Partial<MockBehaviour> = {}
  for (const [key, raw] of Object.entries(opts)) {
    if (isBehaviourKey(key) && raw !== undefined) assign(out, key, raw, `option ${key}`)
  }
  return out
}

/** Per-request overrides from `x-mock-*` headers; undefined when there are none (the usual case). */
export function behaviourFromHeaders(headers: IncomingHttpHeaders): Partial<MockBehaviour> | undefined {
  let out: Partial<MockBehaviour> | undefined
  for (const [key, name] of headerEntries) {
    const raw = headers[name]
    if (raw === undefined) continue
    out ??= {}
    assign(out, key, raw, `header ${name}`)
  }
  return out
}

/** Per-request overrides from the JSON body field `mock`, for gateways that drop client headers. */
export function behaviourFromBody(mock: unknown): Partial<MockBehaviour> {
  if (typeof mock !== 'object' || mock === null || Array.isArray(mock)) {
    return fail('body field mock', 'an object', mock)
  }
  const out: Partial<MockBehaviour> = {}
  for (const [key, raw] of Object.entries(mock)) {
    if (!isBehaviourKey(key)) throw new MockBehaviourError(`body field mock.${key} is not a mock behaviour option`)
    assign(out, key, raw, `body field mock.${key}`)
  }
  return out
}

/** Server-wide, then body overrides, then header overrides; no copy when nothing overrides. */
export function resolveBehaviour(
  server: MockBehaviour,
  fromBody: Partial<MockBehaviour> | undefined,
  fromHeaders: Partial<MockBehaviour> | undefined,
): MockBehaviour {
  if (fromBody === undefined && fromHeaders === undefined) return server
  return { ...server, ...fromBody, ...fromHeaders }
}
