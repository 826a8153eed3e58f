import type { ConfigIssue } from './errors.js'

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/**
 * Replaces `${NAME}` and `${NAME:-fallback}` in every string of a parsed config. Done after YAML
 * parsing, on values only, so a secret containing YAML syntax cannot change the document's shape.
 */
export function substituteEnv(node: unknown, env: Record<string, string | undefined>, issues: ConfigIssue[], path = ''): unknown {
  if (typeof node === 'string') {
    return node.replace(reference, (_match, name: string, fallback: string | undefined) => {
      const value = env[name]
      if (value !== undefined && value !== '') return value
      if (fallback !== undefined) return fallback
      issues.push({ path, problem: `environment variable ${name} is not set` })
      return ''
    })
  }
  if (Array.isArray(node)) return node.map((item, index) => substituteEnv(item, env, issues, join(path, index)))
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) out[key] = substituteEnv(value, env, issues, join(path, key))
    return out
  }
  return node
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`
}
