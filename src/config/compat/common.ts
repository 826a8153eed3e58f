import { isValidCidr } from '../../access/cidr.js'
import { ConfigError, type ConfigIssue } from '../errors.js'

/**
 * Readers shared by the openai-api-route and OpenAI-Forward translators. Each one takes the value,
 * the path to name in an issue (a YAML key path or an env var name) and the issue list, and
 * returns undefined after recording an issue, so a translator collects every problem in one pass.
 */

export class Issues {
  readonly list: ConfigIssue[] = []

  /** Records a problem; returns undefined so a reader can `return issues.add(...)`. */
  add(path: string, problem: string, value?: unknown): undefined {
    this.list.push({ path, problem, value })
    return undefined
  }

  throwIfAny(source: string): void {
    if (this.list.length > 0) throw new ConfigError(source, this.list)
  }
}

/** Both seeds treat a missing key, a YAML `key:` with no value and an empty string alike: not set. */
export function isBlank(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `a, b,,c` → [a, b, c]: both seeds space-trim comma lists and skip empty items. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

export function readMapping(value: unknown, path: string, issues: Issues): Record<string, unknown> | undefined {
  if (isBlank(value)) return undefined
  return isRecord(value) ? value : issues.add(path, 'expected a mapping of keys to values', value)
}

export function readString(value: unknown, path: string, issues: Issues): string | undefined {
  if (isBlank(value)) return undefined
  // YAML turns `limit: 100` or `route: 1` into numbers; the seeds used them as text.
  if (typeof value === 'number') return String(value)
  return typeof value === 'string' ? value.trim() : issues.add(path, 'expected text', value)
}

/** Like readString, but a missing value is an issue too, saying what belongs there. */
export function readRequiredString(value: unknown, path: string, issues: Issues, what: string): string | undefined {
  return isBlank(value) ? issues.add(path, `required: ${what}`, value) : readString(value, path, issues)
}

/** A YAML list or a comma-separated string (how both seeds write lists in env vars and openai-api-route's `authorization`). */
export function readStringList(value: unknown, path: string, issues: Issues): string[] | undefined {
  if (isBlank(value)) return undefined
  if (typeof value === 'string') return splitList(value)
  if (!Array.isArray(value)) return issues.add(path, 'expected a list or a comma-separated string', value)
  const items: string[] = []
  value.forEach((item, index) => {
    const text = readString(item, `${path}.${index}`, issues)
    if (text !== undefined && text !== '') items.push(text)
  })
  return items
}

const envBooleans: Record<string, boolean> = { true: true, false: false, '1': true, '0': false }
// PyYAML (OpenAI-Forward) reads YAML 1.1, where yes/no/on/off are booleans; the `yaml` package reads 1.2, where they are text.
const yamlBooleans: Record<string, boolean> = { ...envBooleans, yes: true, no: false, on: true, off: false }

export function readBoolean(value: unknown, path: string, issues: Issues, form: 'yaml' | 'env' = 'yaml'): boolean | undefined {
  if (isBlank(value)) return undefined
  if (typeof value === 'boolean') return value
  const words = form === 'env' ? envBooleans : yamlBooleans
  const known = words[String(value).trim().toLowerCase()]
  return known ?? issues.add(path, form === 'env' ? 'expected true, false, 1 or 0' : 'expected true or false', value)
}

/** Seconds as a number or numeric text (env vars are text), e.g. OpenAI-Forward `TIMEOUT=6.5`. */
export function readSeconds(value: unknown, path: string, issues: Issues): number | undefined {
  if (isBlank(value)) return undefined
  const seconds = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
    ? seconds
    : issues.add(path, 'expected a number of seconds', value)
}

/** A key level: an integer ≥ 0, or its digits as text (issue #134 on OpenAI-Forward shows `"0"`). */
export function readLevel(value: unknown, path: string, issues: Issues): number | undefined {
  const level = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  return typeof level === 'number' && Number.isInteger(level) && level >= 0
    ? level
    : issues.add(path, 'expected a level: a whole number from 0', value)
}

/**
 * An http(s) URL, checked here so the issue names the seed's key rather than the native path.
 * Returns the trimmed text. With `required`, a missing URL is an issue saying what belongs there.
 */
export function readHttpUrl(value: unknown, path: string, issues: Issues, required?: string): string | undefined {
  const text = required === undefined ? readString(value, path, issues) : readRequiredString(value, path, issues, required)
  if (text === undefined) return undefined
  return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol) ? text : issues.add(path, 'expected an http:// or https:// URL', value)
}

/** IP lists, checked here for the same reason; both seeds matched exact addresses, which are valid ranges too. */
export function readIpList(value: unknown, path: string, issues: Issues): string[] | undefined {
  const items = readStringList(value, path, issues)
  const bad = items?.findIndex((item) => !isValidCidr(item)) ?? -1
  return bad === -1 ? items : issues.add(`${path}.${bad}`, 'expected an IP address or CIDR range', items?.[bad])
}

/** V8 quotes the start of the input in some messages (`Unexpected token 's', "sk-…" is not valid JSON`); keep only the grammar part. */
function jsonProblem(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error)
  const cut = message.includes('"') ? message.slice(0, message.search(/['"]/)).replace(/[\s,]+$/, '') : message
  return text.length >= 3 && cut.includes(text.slice(0, 3)) ? 'not valid JSON' : `not valid JSON: ${cut}`
}

/** Parses a JSON env var; unset or blank → undefined. The issue names the variable and never carries its value. */
export function readJsonEnv(env: Record<string, string | undefined>, name: string, issues: Issues): unknown {
  const text = env[name]
  if (isBlank(text)) return undefined
  try {
    return JSON.parse(text)
  } catch (error) {
    // The value goes along for `(got …)`; ConfigError masks it for the key variables (names with KEY).
    return issues.add(name, jsonProblem(error, text), text)
  }
}
