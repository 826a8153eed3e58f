/**
 * The one time notation of the record commands: `--since` reads it, `convert` and `logs` write it.
 * A time without an offset is local wall time, as OpenAI-Forward's chat logs write `datetime`
 * (`time.strftime('%Y-%m-%d %H:%M:%S', time.localtime())`), so a `datetime` copied from
 * chat_openai.json or from the `logs` table is a valid `--since` on the same machine.
 */

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

const relative = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/
// 2024-01-01, 2024-01-01 12:00, 2024-01-01T12:00:00.250Z, 2024-01-01T12:00:00+08:00
const absolute = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i

const expected = 'expected a time such as 2024-01-01, "2024-01-01 12:00:00" or 2024-01-01T12:00:00Z, or a duration such as 30m, 1h, 2d'

/** `--since` as epoch ms: an ISO date/time (local unless it has Z or an offset) or a duration back from `now`. */
export function parseSince(text: string, now = Date.now()): number {
  const trimmed = text.trim()
  const ago = relative.exec(trimmed.toLowerCase())
  if (ago !== null) return now - Number(ago[1]) * unitMs[ago[2]!]!
  const match = absolute.exec(trimmed)
  if (match === null) throw new Error(`--since: ${expected} (got ${JSON.stringify(text)})`)
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part)))
  const ms = match[7] === undefined ? 0 : Number(match[7].padEnd(3, '0'))
  // Date would roll 2024-02-30 over to March 1st: a mistyped date must be an error, not another day.
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate()
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth || hour! > 23 || minute! > 59 || second! > 59) {
    throw new Error(`--since: no such date or time (got ${JSON.stringify(text)})`)
  }
  const zone = match[8]
  if (zone === undefined) return new Date(year!, month! - 1, day, hour, minute, second, ms).getTime()
  const utc = Date.UTC(year!, month! - 1, day, hour, minute, second, ms)
  if (zone.toUpperCase() === 'Z') return utc
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!
  const offsetMs = (Number(offset[2]) * 60 + Number(offset[3])) * 60_000
  return offset[1] === '+' ? utc - offsetMs : utc + offsetMs
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0')

/** Epoch ms as local `YYYY-MM-DD HH:MM:SS`, OpenAI-Forward's `datetime` (the process's TZ applies). */
export function formatLocalDateTime(time: number): string {
  const date = new Date(time)
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}
