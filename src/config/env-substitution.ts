import type { ConfigIssue } from './errors.js'

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/**
 * Replaces `${NAME}` and `${NAME:-fallback}` in every string of a parsed config. Done after YAML
 * parsing, on values only, so a secret containing YAML syntax cannot change the document's shape.
 */
export function substituteEnv(node: unknown, env: Record<string, string | undefined>, issues: ConfigIssue[], path = '', ancestors = new Set<object>()): unknown {
  if (typeof node === 'string') {
    return node.replace(reference, (_match, name: string, fallback: string | undefined) => {
      const value = env[name]
      if (value !== undefined && value !== '') return value
      if (fallback !== undefined) return fallback
      issues.push({ path, problem: `environment variable ${name} is not set` })
      return ''
    })
  }
  if (node === null || typeof node !== 'object') return node
  // A YAML alias inside the node it names (`a: &a [*a]`) parses to a cycle: refused, not walked forever.
  if (ancestors.has(node)) {
    issues.push({ path, problem: 'a YAML alias refers to a mapping or list that contains it' })
    return null
  }
  ancestors.add(node)
  let out: unknown
  if (Array.isArray(node)) out = node.map((item, index) => substituteEnv(item, env, issues, join(path, index), ancestors))
  else {
    const object: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) object[key] = substituteEnv(value, env, issues, join(path, key), ancestors)
    out = object
  }
  ancestors.delete(node)
  return out
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`
}
