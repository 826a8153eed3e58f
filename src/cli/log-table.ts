import type { RequestRecord } from '../records/record.js'
import { formatLocalDateTime } from '../records/since.js'

interface Column {
  title: string
  /** Numbers are right-aligned so that their digits line up. */
  right?: boolean
  cell(record: RequestRecord): string
}

function tokens(record: RequestRecord): string {
  const { totalTokens, promptTokens, completionTokens } = record
  const total = totalTokens ?? (promptTokens !== undefined && completionTokens !== undefined ? promptTokens + completionTokens : undefined)
  if (total === undefined) return '-'
  // An estimate is marked: it was counted before the answer, not reported by the upstream.
  return record.tokensSource === 'estimate' ? `~${total}` : String(total)
}

const columns: readonly Column[] = [
  { title: 'TIME', cell: (record) => formatLocalDateTime(record.time) },
  { title: 'STATUS', right: true, cell: (record) => String(record.status) },
  { title: 'METHOD', cell: (record) => record.method },
  { title: 'PATH', cell: (record) => record.path },
  { title: 'MODEL', cell: (record) => record.model ?? '-' },
  { title: 'UPSTREAM', cell: (record) => record.upstream ?? '-' },
  { title: 'MS', right: true, cell: (record) => String(Math.round(record.totalMs)) },
  { title: 'TOKENS', right: true, cell: (record) => tokens(record) },
  { title: 'CACHE', cell: (record) => record.cache ?? '-' },
  { title: 'CLIENT', cell: (record) => record.clientId ?? '-' },
  // Last and unpadded: a message has no useful width.
  { title: 'ERROR', cell: (record) => record.error ?? '' },
]

// Paths, models and errors come from clients and upstreams: a control character must not reach
// the terminal as an escape sequence or break a row. Line breaks and tabs read as spaces.
const whitespace = /[\t\n\r]+/g
const controlChars = /[\u0000-\u001f\u007f-\u009f]/g

function cells(record: RequestRecord): string[] {
  return columns.map((column) => column.cell(record).replace(whitespace, ' ').replace(controlChars, '?'))
}

/**
 * An aligned table that can grow: the first rows set the widths; a later, wider value (under
 * `--follow`) widens its column from that row on rather than holding rows back.
 */
export class LogTable {
  readonly #widths = columns.map((column) => column.title.length)
  readonly #write: (line: string) => void

  constructor(write: (line: string) => void) {
    this.#write = write
  }

  /** The header and the rows, aligned together. */
  start(records: readonly RequestRecord[]): void {
    const rows = records.map(cells)
    for (const row of rows) this.#widen(row)
    this.#line(columns.map((column) => column.title))
    for (const row of rows) this.#line(row)
  }

  add(record: RequestRecord): void {
    const row = cells(record)
    this.#widen(row)
    this.#line(row)
  }

  #widen(row: readonly string[]): void {
    row.forEach((cell, index) => (this.#widths[index] = Math.max(this.#widths[index]!, cell.length)))
  }

  #line(row: readonly string[]): void {
    const last = row.length - 1
    const padded = row.map((cell, index) => {
      if (index === last) return cell
      return columns[index]!.right === true ? cell.padStart(this.#widths[index]!) : cell.padEnd(this.#widths[index]!)
    })
    this.#write(padded.join('  ').trimEnd())
  }
}
