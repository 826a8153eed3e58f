/**
 * Rate-limit strings as OpenAI-Forward writes them, in the notation of the Python `limits` library
 * (alisaifee/limits `limits/util.py`, SINGLE_EXPR and SEPARATORS; seeds.md A.1.5):
 * `[count] [per|/] [n] [second|minute|hour|day|month|year]`, units optionally plural, several limits
 * separated by `,` `;` or `|`, case-insensitive, whitespace tolerant: `60/minute;600/hour`, `100/2minutes`.
 *
 * One deliberate difference (issue 3, point 7): OpenAI-Forward treats a string that does not parse as
 * "no limit" (slowapi logs and applies nothing); here it is an error, so a typo never silently
 * unlimits a route. Only `inf` means unlimited.
 */

export interface RateLimit {
  /** Units (requests or tokens) admitted per window; a positive integer. */
  amount: number
  windowMs: number
  /** Canonical form, as in the 429 message `Rate limit exceeded: 3 per 1 minute`. */
  text: string
}

const expected =
  'expected "<count>/<unit>" or "<count> per <n> <unit>" with unit second, minute, hour, day, month or year ' +
  '(e.g. "60/minute", "100/2minutes", "60/minute;600/hour"), or "inf" for no limit'

export class LimitSyntaxError extends Error {
  override readonly name = 'LimitSyntaxError'
  /** The whole string given. */
  readonly input: string
  /** The part (between separators) that is wrong. */
  readonly part: string

  constructor(input: string, part: string, problem: string) {
    super(`${problem} in rate limit ${JSON.stringify(input)}: ${expected}`)
    this.input = input
    this.part = part
  }
}

const DAY_MS = 86_400_000

/**
 * Unit lengths, largest first (describeLimit picks the largest that divides a window evenly).
 * A month is 30 days as in `limits`; a year is 365 days, where `limits` uses 12 × 30 = 360: a calendar
 * year reads truer to users, and a yearly limit is too coarse for the 1.4 % to matter.
 */
const units = [
  ['year', 365 * DAY_MS],
  ['month', 30 * DAY_MS],
  ['day', DAY_MS],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
] as const

type UnitName = (typeof units)[number][0]
const unitMs = new Map<string, number>(units)

const separators = /[,;|]/
// `per` may touch its neighbours (`10per second`) and `n` may be absent, as in `limits`' SINGLE_EXPR.
const single = /^(\d+)\s*(?:\/|per)\s*(\d+)?\s*(second|minute|hour|day|month|year)s?$/i

/** Parses a limit string; `inf` gives no limits (an empty array). Throws LimitSyntaxError. */
export function parseLimits(text: string): RateLimit[] {
  const trimmed = text.trim()
  if (trimmed === '') throw new LimitSyntaxError(text, text, 'empty limit')
  if (trimmed.toLowerCase() === 'inf') return []
  return trimmed.split(separators).map((part) => parseOne(text, part.trim()))
}

function parseOne(input: string, part: string): RateLimit {
  if (part === '') throw new LimitSyntaxError(input, part, 'empty limit between separators')
  if (part.toLowerCase() === 'inf') throw new LimitSyntaxError(input, part, '"inf" cannot be combined with other limits')
  const match = single.exec(part)
  if (!match) throw new LimitSyntaxError(input, part, `cannot read ${JSON.stringify(part)}`)
  const [, countText = '', multipleText = '1', unitText = ''] = match
  const amount = Number(countText)
  const multiple = Number(multipleText)
  if (!(amount >= 1 && Number.isSafeInteger(amount))) {
    throw new LimitSyntaxError(input, part, `count ${countText} in ${JSON.stringify(part)} is not a positive integer`)
  }
  const windowMs = multiple * (unitMs.get(unitText.toLowerCase() as UnitName) ?? 0)
  if (!(multiple >= 1 && Number.isSafeInteger(windowMs))) {
    throw new LimitSyntaxError(input, part, `window length ${multipleText} in ${JSON.stringify(part)} is not a positive integer of reasonable size`)
  }
  return { amount, windowMs, text: describeLimit({ amount, windowMs }) }
}

/**
 * The canonical text, in `limits`' own wording (`RateLimitItem.__repr__`: "<amount> per <n> <unit>",
 * unit singular) with the window in the largest whole unit: `100/2minutes` → "100 per 2 minute",
 * `5/60seconds` → "5 per 1 minute". Equal limits therefore print (and can be keyed) alike.
 */
export function describeLimit(limit: Pick<RateLimit, 'amount' | 'windowMs'>): string {
  const unit = units.find(([, ms]) => limit.windowMs % ms === 0)
  // Only a window not built by parseLimits can miss every unit.
  if (!unit) return `${limit.amount} per ${limit.windowMs} millisecond`
  return `${limit.amount} per ${limit.windowMs / unit[1]} ${unit[0]}`
}
