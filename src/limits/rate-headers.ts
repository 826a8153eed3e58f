import type { WindowState } from '../storage/types.js'

/** A duration as OpenAI writes it in x-ratelimit-reset-*: `20ms`, `1.5s`, `6m0s`, `1h2m3s`. */
export function formatResetDuration(ms: number): string {
  const rounded = Math.max(0, Math.ceil(ms))
  if (rounded < 1000) return `${rounded}ms`
  const hours = Math.floor(rounded / 3_600_000)
  const minutes = Math.floor((rounded % 3_600_000) / 60_000)
  const seconds = (rounded % 60_000) / 1000
  const secondsText = `${Number(seconds.toFixed(3))}s`
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`
  if (minutes > 0) return `${minutes}m${secondsText}`
  return secondsText
}

const headerNames = {
  requests: ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'],
  tokens: ['x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
} as const

/**
 * The headers OpenAI clients read (the `-requests` or the `-tokens` trio), for the tightest of the
 * windows a request counted against, added to `into` (a new object when not given).
 */
export function rateHeaders(
  kind: keyof typeof headerNames,
  states: readonly WindowState[],
  into: Record<string, string> = {},
  now = Date.now(),
): Record<string, string> {
  let tightest = states[0]!
  for (const state of states) {
    if (state.remaining < tightest.remaining || (state.remaining === tightest.remaining && state.limit < tightest.limit)) tightest = state
  }
  const [limit, remaining, reset] = headerNames[kind]
  into[limit] = String(tightest.limit)
  into[remaining] = String(tightest.remaining)
  into[reset] = formatResetDuration(tightest.resetAt - now)
  return into
}
