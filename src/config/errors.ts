import type { z } from 'zod'

export interface ConfigIssue {
  /** Dotted path into the config, e.g. `routes.0.upstreams.1.url`, or an env var name. */
  path: string
  problem: string
  value?: unknown
}

/**
 * Keys and tokens must not reach a terminal or a log, not even in an error about them. A path is secret when
 * any segment names a credential, also under a misspelt or unknown name (`apiKey`, `x-api-key`, `password`),
 * since "unknown field" errors are exactly where a typo'd key field ends up.
 */
const secretSegment = /key|token|secret|passw|authori[sz]ation|credential|bearer|^sk$/i

function isSecretPath(path: string): boolean {
  return path.split('.').some((segment) => secretSegment.test(segment))
}

function describeValue(path: string, value: unknown): string {
  if (value === undefined) return 'nothing'
  if (isSecretPath(path)) {
    if (typeof value === 'string') return `a secret of ${value.length} characters`
    if (value === null) return 'null'
    return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`
  }
  if (Array.isArray(value)) return `a list of ${value.length}`
  if (value !== null && typeof value === 'object') return 'an object'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path || '(root)'}: ${issue.problem} (got ${describeValue(issue.path, issue.value)})`
}

/** Every problem of one config at once, each as `path: problem (got value)`. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[]

  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`invalid config ${source}:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** Reads the value a zod issue points at, for the `(got ...)` part of the message. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  return node
}

export function issuesFromZod(error: z.ZodError, input: unknown): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // One line per unknown field, so a typo is named where it stands.
      return issue.keys.map((key) => ({
        path: [...issue.path, key].map(String).join('.'),
        problem: 'unknown field',
        value: valueAt(input, [...issue.path, key]),
      }))
    }
    return [{ path: issue.path.map(String).join('.'), problem: issue.message, value: valueAt(input, issue.path) }]
  })
}
