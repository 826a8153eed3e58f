import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml'

/**
 * Where a native config holds secrets (issue 15 point 6): keys, tokens, passwords, and URLs or
 * headers that may carry credentials. `*` stands for any key or index. The admin API shows each as its
 * `${VAR}` reference or as a mask of its last 4 characters, never whole.
 */
const secretPaths: readonly (readonly string[])[] = [
  ['routes', '*', 'upstreams', '*', 'keys', '*'],
  ['routes', '*', 'upstreams', '*', 'clientTokens', '*'],
  ['routes', '*', 'upstreams', '*', 'headers', '*'],
  ['routes', '*', 'clientTokens', '*'],
  ['access', 'clientTokens', '*'],
  ['access', 'forwardKeys', '*', 'key'],
  ['access', 'levels', '*', 'keys', '*'],
  ['metrics', 'token'],
  ['admin', 'password'],
  ['admin', 'viewerPassword'],
  ['notify', 'feishu', 'webhook'],
  ['notify', 'matrix', 'accessToken'],
  ['notify', 'matrix', 'api'],
  ['notify', 'webhooks', '*', 'url'],
  ['notify', 'webhooks', '*', 'headers', '*'],
  ['records', 'url'],
  ['limits', 'backend'],
  ['cache', 'backend'],
  ['proxy'],
]

const MASK_PREFIX = '********'
const reference = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/
// Values that hold no credential even where one could be: the embedded backends, `asis`.
const harmless = new Set(['memory', 'memory://', 'sqlite', 'asis'])

/** What a secret is shown as: its `${VAR}` reference as written, or `********` and its last 4 characters. */
export function maskOf(value: string): string {
  if (reference.test(value) || harmless.has(value)) return value
  return `${MASK_PREFIX}${value.length > 12 ? value.slice(-4) : ''}`
}

export function isMask(value: string): boolean {
  return value.startsWith(MASK_PREFIX) && value.length <= MASK_PREFIX.length + 4
}

/** Every scalar of `doc` at a secret path, with its path. */
export function secretScalars(doc: Document): { path: (string | number)[]; set: (value: string) => void; value: string }[] {
  const found: { path: (string | number)[]; set: (value: string) => void; value: string }[] = []
  const visit = (node: Node | null | undefined, path: (string | number)[]) => {
    if (node === null || node === undefined) return
    if (isScalar(node)) {
      if (typeof node.value === 'string' && matches(path)) found.push({ path, value: node.value, set: (value) => (node.value = value) })
      return
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
        visit(pair.value as Node | null, [...path, key])
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item as Node | null, [...path, index]))
    }
  }
  visit(doc.contents as Node | null, [])
  return found
}

function matches(path: readonly (string | number)[]): boolean {
  return secretPaths.some((pattern) => pattern.length === path.length && pattern.every((part, index) => part === '*' || part === String(path[index])))
}

/** The document with every secret masked (in place). */
export function maskSecrets(doc: Document): void {
  for (const secret of secretScalars(doc)) secret.set(maskOf(secret.value))
}

/**
 * A document an admin sent back, its masks replaced by the secrets they stand for: a mask left where
 * it was keeps the secret there (fields are write-only); a mask anywhere else cannot be told apart
 * from a typo and is refused. Returns the paths of masks that matched nothing.
 */
export function restoreSecrets(edited: Document, original: Document): string[] {
  const all = secretScalars(original)
  const originals = new Map(all.map((secret) => [secret.path.join('.'), secret.value]))
  const unmatched: string[] = []
  for (const secret of secretScalars(edited)) {
    if (!isMask(secret.value)) continue
    const before = originals.get(secret.path.join('.'))
    if (before !== undefined && maskOf(before) === secret.value) {
      secret.set(before)
      continue
    }
    // A list of keys where an earlier one was removed: the same mask among its siblings, if only one has it.
    const parent = secret.path.slice(0, -1).join('.')
    const siblings = all.filter((candidate) => candidate.path.slice(0, -1).join('.') === parent && maskOf(candidate.value) === secret.value)
    if (siblings.length === 1) secret.set(siblings[0]!.value)
    else unmatched.push(secret.path.join('.'))
  }
  return unmatched
}
