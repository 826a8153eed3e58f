import { recordColumns } from '../record-row.js'
import type { SqliteDatabase } from './database.js'
import type { SqliteRow } from './row.js'

type Statement = ReturnType<SqliteDatabase['prepare']>

/**
 * Columns whose values differ in nearly every row (id, times, durations, token counts, attempts).
 * Every other column repeats from one request to the next (one route, path, model, upstream, status...).
 */
const varyingColumns: readonly (typeof recordColumns)[number][] = ['id', 'time', 'attempts', 'headers_ms', 'first_byte_ms', 'total_ms', 'prompt_tokens', 'completion_tokens', 'total_tokens']
const repeating = recordColumns.flatMap((name, index) => (varyingColumns.includes(name) ? [] : [index]))

/** The INSERT of `rows` whole rows, each column's value given as SQL text ('?' for a bound one). */
function insertSql(values: readonly string[], rows = 1): string {
  const row = `(${values.join(', ')})`
  return `INSERT INTO request_records (${recordColumns.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`
}

/**
 * Rows per statement for a run of one folded set: measured, a row cost about 4.5 us inserted alone
 * and 2.7-2.9 us inserted 10 to 50 at a time (SQLite's and better-sqlite3's per-statement work shared).
 */
const ROWS_PER_STATEMENT = 32

/** A string longer than this is bound, never written into a statement (a statement per long error text would be waste). */
const MAX_LITERAL_LENGTH = 200

interface Folded {
  /** Each column's SQL text in a row of this set: a literal, or '?'. */
  values: readonly string[]
  statement: Statement
  /** The same for ROWS_PER_STATEMENT rows, prepared when first needed. */
  many?: Statement
  /** The row indexes the statement binds, in column order. */
  bound: readonly number[]
}

export interface FoldedInsertOptions {
  /** A value set gets a statement of its own once this many rows had it. Default 16. */
  foldAfter?: number
  /** Statements kept at most; the least recently used one goes first. Default 32. */
  maxStatements?: number
}

/**
 * Inserts request rows with the repeating values written into the statement as SQL literals, so
 * that each row binds only what differs. Measured on this project's VM: binding costs about 0.1 us
 * a value and 0.2 us a string, and folding took an insert from about 6.0 to 4.5 us (the comparison
 * with the previous row included), paid on the records thread for every request. A value set seen
 * `foldAfter` times gets a statement; rows of rarer sets take the plain statement that binds all 24
 * values. Only safe integers and short strings without NUL (or \u0001) become literals; anything
 * else is still bound.
 */
export class FoldedInsert {
  readonly #db: SqliteDatabase
  readonly #plain: Statement
  readonly #foldAfter: number
  readonly #maxStatements: number
  readonly #folded = new Map<string, Folded>()
  /** Rows seen per value set not yet folded; cleared when it grows past a bound (traffic without repeats). */
  readonly #seen = new Map<string, number>()
  // The previous row's repeating values and what it used: consecutive rows of one set skip the key.
  #previous: SqliteRow | undefined
  #previousFolded: Folded | undefined
  #previousKey = ''

  constructor(db: SqliteDatabase, options: FoldedInsertOptions = {}) {
    this.#db = db
    this.#foldAfter = options.foldAfter ?? 16
    this.#maxStatements = options.maxStatements ?? 32
    this.#plain = db.prepare(insertSql(recordColumns.map(() => '?')))
  }

  /** Statements prepared for value sets, for tests. */
  get foldedStatements(): number {
    return this.#folded.size
  }

  /**
   * Inserts the rows in their order (call it inside a transaction). Consecutive rows of one folded
   * set go in as one statement of ROWS_PER_STATEMENT rows where there are enough of them.
   */
  insertRows(rows: readonly SqliteRow[]): void {
    let runFolded: Folded | undefined
    let runStart = 0
    for (let at = 0; at < rows.length; at++) {
      const folded = this.#foldedFor(rows[at]!)
      if (folded === runFolded) continue
      this.#insertRun(rows, runStart, at, runFolded)
      runFolded = folded
      runStart = at
    }
    this.#insertRun(rows, runStart, rows.length, runFolded)
  }

  /** The folded statement for the row's value set, or undefined for the plain one. */
  #foldedFor(row: SqliteRow): Folded | undefined {
    const same = this.#previous !== undefined && sameRepeating(row, this.#previous)
    if (!same) this.#previousKey = keyOf(row)
    // A folded set is used as it is; a set not folded yet counts this row and may be folded now.
    const folded = same && this.#previousFolded !== undefined ? this.#previousFolded : this.#lookup(this.#previousKey, row)
    this.#previous = row
    this.#previousFolded = folded
    return folded
  }

  /** rows[from, to), all of one value set. */
  #insertRun(rows: readonly SqliteRow[], from: number, to: number, folded: Folded | undefined): void {
    if (folded === undefined) {
      for (let at = from; at < to; at++) this.#plain.run(rows[at]!)
      return
    }
    const { bound } = folded
    let at = from
    if (to - from >= ROWS_PER_STATEMENT) {
      folded.many ??= this.#db.prepare(insertSql(folded.values, ROWS_PER_STATEMENT))
      const values: SqliteRow = new Array(ROWS_PER_STATEMENT * bound.length)
      for (; at + ROWS_PER_STATEMENT <= to; at += ROWS_PER_STATEMENT) {
        let next = 0
        for (let row = at; row < at + ROWS_PER_STATEMENT; row++) for (const index of bound) values[next++] = rows[row]![index]!
        folded.many.run(values)
      }
    }
    for (; at < to; at++) {
      const row = rows[at]!
      const values: SqliteRow = new Array(bound.length)
      for (let index = 0; index < bound.length; index++) values[index] = row[bound[index]!]!
      folded.statement.run(values)
    }
  }

  #lookup(key: string, row: SqliteRow): Folded | undefined {
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
    const made = this.#prepare(row)
    if (this.#folded.size >= this.#maxStatements) this.#folded.delete(this.#folded.keys().next().value!)
    this.#folded.set(key, made)
    return made
  }

  #prepare(row: SqliteRow): Folded {
    const bound: number[] = []
    const values = recordColumns.map((_, index) => {
      const literal = repeating.includes(index) ? literalOf(row[index]!) : undefined
      if (literal !== undefined) return literal
      bound.push(index)
      return '?'
    })
    return { values, statement: this.#db.prepare(insertSql(values)), bound }
  }
}

function sameRepeating(row: SqliteRow, previous: SqliteRow): boolean {
  for (const index of repeating) if (row[index] !== previous[index]) return false
  return true
}

function foldable(value: string | number | null): boolean {
  if (value === null) return true
  if (typeof value === 'number') return Number.isSafeInteger(value)
  // NUL would end the SQL text; \u0001 separates the parts of a key (keyOf), so a value holding it stays bound.
  return value.length <= MAX_LITERAL_LENGTH && !value.includes('\0') && !value.includes('\u0001')
}

/** The value as an SQL literal, or undefined when it is to be bound. */
function literalOf(value: string | number | null): string | undefined {
  if (!foldable(value)) return undefined
  if (value === null) return 'NULL'
  if (typeof value === 'number') return String(value)
  return `'${value.replaceAll("'", "''")}'`
}

/** Names a row's repeating values uniquely: each as its type and text, a bound one by its place alone. */
function keyOf(row: SqliteRow): string {
  let key = ''
  for (const index of repeating) {
    const value = row[index]!
    if (!foldable(value)) key += '\u0001b'
    else if (value === null) key += '\u0001z'
    else key += typeof value === 'number' ? `\u0001n${value}` : `\u0001s${value}`
  }
  return key
}
