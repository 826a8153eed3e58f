/** Changes to the config document, as PUT /admin/api/config takes them (src/config/edit/edits.ts). */
export type Path = (string | number)[]
export type Edit = { op: 'set'; path: Path; value: unknown } | { op: 'delete'; path: Path } | { op: 'append'; path: Path; value: unknown } | { op: 'move'; path: Path; to: number }

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
/** A field left empty is a setting removed: the default applies again. */
const empty = (value: unknown) => value === undefined || value === '' || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && Object.keys(value).length === 0)

/**
 * The edits that turn `before` into `after` for the named fields under `base`: only what changed, so
 * everything else in the document (comments, `${VAR}` references, secrets) stays as written.
 */
export function fieldEdits(base: Path, before: Record<string, unknown>, after: Record<string, unknown>, fields: readonly string[]): Edit[] {
  const edits: Edit[] = []
  for (const field of fields) {
    const old = before[field]
    const value = after[field]
    if (same(old, value) || (empty(old) && empty(value))) continue
    if (empty(value)) edits.push({ op: 'delete', path: [...base, field] })
    else edits.push({ op: 'set', path: [...base, field], value })
  }
  return edits
}

/** A list of secrets changed: entries removed by index (last first, so the others keep theirs), new ones added. */
export function secretListEdits(path: Path, removed: readonly number[], added: readonly string[], hadList: boolean, remaining: number): Edit[] {
  const edits: Edit[] = [...removed].sort((a, b) => b - a).map((index): Edit => ({ op: 'delete', path: [...path, index] }))
  for (const value of added) edits.push({ op: 'append', path, value })
  // The last one removed and none added: drop the empty list, so that an inherited setting applies again.
  if (hadList && remaining === 0 && added.length === 0 && removed.length > 0) return [{ op: 'delete', path }]
  return edits
}
