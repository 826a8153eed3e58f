import { recordColumns } from '../record-row.js'
import type { SqliteDatabase } from './database.js'
import { PACKED_STRIDE, repeatingColumns, varyingColumns, type PackedRows, type SqliteValue } from './row.js'

type Statement = ReturnType<SqliteDatabase['prepare']>

/** The INSERT of `rows` whole rows, each column's value given as SQL text ('?' for a bound one). */
function insertSql(values: readonly string[], rows = 1): string {
  const row = `(${values.join(', ')})`
  return `INSERT INTO request_records (${recordColumns.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`
}

/**
 * Rows per statement for a run of one value set: measured (200,000 rows in batches of 500), a row
 * cost 4.8-5.6 us inserted alone and 3.1-3.9 us inserted 32 at a time, the per-statement work of
 * SQLite and better-sqlite3 shared (10 and 50 at a time were within that spread).
 */
const ROWS_PER_STATEMENT = 32

/** A string longer than this is bound, never written into a statement (a statement per long error text would be waste). */
const MAX_LITERAL_LENGTH = 200

/** Where a bound value is read in PackedRows: > 0 at that offset from the row's start in cells, < 0 at -source - 1 in its shape. */
type Source = number
const sourceOfColumn: readonly Source[] = recordColumns.map((_, column) =>
  varyingColumns.includes(column) ? 1 + varyingColumns.indexOf(column) : -1 - repeatingColumns.indexOf(column),
)

interface Folded {
  /** Each column's SQL text in a row of this set: a literal, or '?'. */
  values: readonly string[]
  statement: Statement
  /** The same for ROWS_PER_STATEMENT rows, prepared when first needed. */
  many?: Statement
  /** Where each value the statement binds is read, in column order. */
  sources: readonly Source[]
}

export interface FoldedInsertOptions {
  /** A value set gets a statement of its own once this many rows had it. Default 16. */
  foldAfter?: number
  /** Statements kept at most; the least recently used one goes first. Default 32. */
  maxStatements?: number
}

/**
 * Inserts request rows with the repeating values written into the statement as SQL literals, so
 * that each row binds only what differs, and consecutive rows of one value set 32 to a statement.
 * Measured on this project's VM: binding costs about 0.1 us a value and 0.2 us a string; folding
 * took an insert from about 6.0 to 4.5 us, and 32 rows to a statement to 3.1-3.9 us, paid on
 * the records thread for every request. A value set (a shape of PackedRows) seen `foldAfter` times
 * gets a statement; rows of rarer sets take the plain statement that binds all 24 values. Only safe
 * integers and short strings without NUL (or \u0001) become literals; anything else is still bound.
 */
export class FoldedInsert {
  readonly #db: SqliteDatabase
  readonly #plain: Folded
  readonly #foldAfter: number
  readonly #maxStatements: number
  readonly #folded = new Map<string, Folded>()
  /** Rows seen per value set not yet folded; cleared when it grows past a bound (traffic without repeats). */
  readonly #seen = new Map<string, number>()

  constructor(db: SqliteDatabase, options: FoldedInsertOptions = {}) {
    this.#db = db
    this.#foldAfter = options.foldAfter ?? 16
    this.#maxStatements = options.maxStatements ?? 32
    const values = recordColumns.map(() => '?')
    this.#plain = { values, statement: db.prepare(insertSql(values)), sources: sourceOfColumn }
  }

  /** Statements prepared for value sets, for tests. */
  get foldedStatements(): number {
    return this.#folded.size
  }

  /** Inserts the rows in their order (call it inside a transaction). */
  insertPacked({ shapes, cells }: PackedRows): void {
    // Per shape of this batch: its key, and its statement once it has one.
    const keys: (string | undefined)[] = new Array(shapes.length)
    const foldedOf: (Folded | undefined)[] = new Array(shapes.length)
    let runFolded: Folded | undefined
    let runStart = 0
    for (let at = 0; at < cells.length; at += PACKED_STRIDE) {
      const shapeIndex = cells[at] as number
      let folded = foldedOf[shapeIndex]
      if (folded === undefined) {
        // A set not folded yet counts this row, and may be folded now.
        const shape = shapes[shapeIndex]!
        folded = this.#lookup((keys[shapeIndex] ??= keyOf(shape)), shape)
        if (folded === undefined) folded = this.#plain
        else foldedOf[shapeIndex] = folded
      }
      if (folded === runFolded) continue
      if (runFolded !== undefined) this.#insertRun(shapes, cells, runStart, at, runFolded)
      runFolded = folded
      runStart = at
    }
    if (runFolded !== undefined) this.#insertRun(shapes, cells, runStart, cells.length, runFolded)
  }

  /** The rows in cells[from, to), all of one statement. */
  #insertRun(shapes: readonly SqliteValue[][], cells: readonly SqliteValue[], from: number, to: number, folded: Folded): void {
    const width = folded.sources.length
    const manyCells = ROWS_PER_STATEMENT * PACKED_STRIDE
    let at = from
    if (to - from >= manyCells) {
      folded.many ??= this.#db.prepare(insertSql(folded.values, ROWS_PER_STATEMENT))
      const values: SqliteValue[] = new Array(ROWS_PER_STATEMENT * width)
      for (; at + manyCells <= to; at += manyCells) {
        let next = 0
        for (let row = at; row < at + manyCells; row += PACKED_STRIDE) next = bindRow(values, next, shapes, cells, row, folded.sources)
        folded.many.run(values)
      }
    }
    for (; at < to; at += PACKED_STRIDE) {
      const values: SqliteValue[] = new Array(width)
      bindRow(values, 0, shapes, cells, at, folded.sources)
      folded.statement.run(values)
    }
  }

  #lookup(key: string, shape: readonly SqliteValue[]): Folded | undefined {
    const folded = this.#folded.get(key)
    if (folded !== undefined) {
      // Least recently used first in the Map's order.
      this.#folded.delete(key)
      this.#folded.set(key, folded)
      return folded
    }
    const seen = (this.#seen.get(key) ?? 0) + 1
    if (seen < this.#foldAfter) {
      if (this.#seen.size >= 4 * this.#maxStatements) this.#seen.clear()
      this.#seen.set(key, seen)
      return undefined
    }
    this.#seen.delete(key)
    const made = this.#prepare(shape)
    if (this.#folded.size >= this.#maxStatements) this.#folded.delete(this.#folded.keys().next().value!)
    this.#folded.set(key, made)
    return made
  }

  #prepare(shape: readonly SqliteValue[]): Folded {
    const sources: Source[] = []
    const values = recordColumns.map((_, column) => {
      const source = sourceOfColumn[column]!
      const literal = source < 0 ? literalOf(shape[-source - 1]!) : undefined
      if (literal !== undefined) return literal
      sources.push(source)
      return '?'
    })
    return { values, statement: this.#db.prepare(insertSql(values)), sources }
  }
}

/** Writes the bound values of the row at cells[row] into values from `next` on; returns where it stopped. */
function bindRow(values: SqliteValue[], next: number, shapes: readonly SqliteValue[][], cells: readonly SqliteValue[], row: number, sources: readonly Source[]): number {
  const shape = shapes[cells[row] as number]!
  for (const source of sources) values[next++] = source > 0 ? cells[row + source]! : shape[-source - 1]!
  return next
}

function foldable(value: SqliteValue): boolean {
  if (value === null) return true
  if (typeof value === 'number') return Number.isSafeInteger(value)
  // NUL would end the SQL text; \u0001 separates the parts of a key (keyOf), so a value holding it stays bound.
  return value.length <= MAX_LITERAL_LENGTH && !value.includes('\0') && !value.includes('\u0001')
}

/** The value as an SQL literal, or undefined when it is to be bound. */
function literalOf(value: SqliteValue): string | undefined {
  if (!foldable(value)) return undefined
  if (value === null) return 'NULL'
  if (typeof value === 'number') return String(value)
  return `'${value.replaceAll("'", "''")}'`
}

/** Names the statement a shape takes: each value as its type and text, a bound one by its place alone. */
function keyOf(shape: readonly SqliteValue[]): string {
  let key = ''
  for (const value of shape) {
    if (!foldable(value)) key += '\u0001b'
    else if (value === null) key += '\u0001z'
    else key += typeof value === 'number' ? `\u0001n${value}` : `\u0001s${value}`
  }
  return key
}
