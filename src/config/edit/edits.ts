import { isCollection, isScalar, isSeq, type Document } from 'yaml'

export type ConfigPath = readonly (string | number)[]

/**
 * One change to the config document, as the admin UI's forms make them: set a value, remove one,
 * or add an item to a list. Applied to the YAML document itself (never to the loaded config), so
 * comments, key order and `${VAR}` references elsewhere stay as they were written.
 */
export type ConfigEdit =
  | { op: 'set'; path: ConfigPath; value: unknown }
  | { op: 'delete'; path: ConfigPath }
  | { op: 'append'; path: ConfigPath; value: unknown }
  /** Moves the list item at `path` to index `to` of the same list (an upstream up the failover order), its comments and secrets with it. */
  | { op: 'move'; path: ConfigPath; to: number }

/** Applies the edits in order; throws an Error naming the edit that cannot apply (a path through a scalar, a list that is not one). */
export function applyEdits(doc: Document, edits: readonly ConfigEdit[]): void {
  edits.forEach((edit, index) => {
    const where = `edits[${index}] (${edit.op} ${edit.path.join('.')})`
    if (edit.path.length === 0) throw new Error(`${where}: the path is empty`)
    const parent = edit.path.length === 1 ? doc.contents : doc.getIn(edit.path.slice(0, -1), true)
    if (edit.path.length > 1 && parent !== undefined && parent !== null && !isCollection(parent)) throw new Error(`${where}: ${edit.path.slice(0, -1).join('.')} is not a mapping or a list`)
    switch (edit.op) {
      case 'set': {
        const current = doc.getIn(edit.path, true)
        // A scalar changed in place keeps the comment after it; setIn would replace the node and lose it (eemeli/yaml#185).
        if (isScalar(current) && (edit.value === null || typeof edit.value !== 'object')) current.value = edit.value
        else doc.setIn(edit.path, doc.createNode(edit.value))
        return
      }
      case 'delete':
        if (!doc.hasIn(edit.path)) throw new Error(`${where}: nothing there to remove`)
        doc.deleteIn(edit.path)
        return
      case 'move': {
        const list = doc.getIn(edit.path.slice(0, -1), true)
        const from = Number(edit.path.at(-1))
        if (!isSeq(list) || !Number.isInteger(from) || from < 0 || from >= list.items.length) throw new Error(`${where}: no list item there to move`)
        if (edit.to < 0 || edit.to >= list.items.length) throw new Error(`${where}: index ${edit.to} is outside the list`)
        const [item] = list.items.splice(from, 1)
        list.items.splice(edit.to, 0, item)
        return
      }
      case 'append': {
        const list = doc.getIn(edit.path, true)
        if (list === undefined) doc.setIn(edit.path, doc.createNode([edit.value]))
        else if (isSeq(list)) list.add(doc.createNode(edit.value))
        else throw new Error(`${where}: ${edit.path.join('.')} is not a list`)
        return
      }
    }
  })
}
