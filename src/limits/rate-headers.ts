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

/** The headers OpenAI clients read, for the tightest of the windows a request counted against. */
export function requestRateHeaders(states: readonly WindowState[], now = Date.now()): Record<string, string> {
  let tightest = states[0]!
  for (const state of states) {
    if (state.remaining < tightest.remaining || (state.remaining === tightest.remaining && state.limit < tightest.limit)) tightest = state
  }
  return {
    'x-ratelimit-limit-requests': String(tightest.limit),
    'x-ratelimit-remaining-requests': String(tightest.remaining),
    'x-ratelimit-reset-requests': formatResetDuration(tightest.resetAt - now),
  }
}
