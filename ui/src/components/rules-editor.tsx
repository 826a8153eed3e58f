import { useEffect, useState } from 'preact/hooks'
import { fieldEdits, type Edit, type Path } from '../lib/edits'
import { useChange } from '../lib/use-change'
import { FormCard, SaveBar } from './form-card'

export interface Column {
  name: string
  label: string
  kind: 'text' | 'number' | 'select'
  options?: readonly string[]
  placeholder?: string
}

type Row = Record<string, string>

const rowOf = (item: Record<string, unknown>, columns: readonly Column[]): Row => Object.fromEntries(columns.map((column) => [column.name, item[column.name] === undefined ? '' : String(item[column.name])]))
const valueOf = (row: Row, columns: readonly Column[]): Record<string, unknown> =>
  Object.fromEntries(columns.filter((column) => row[column.name] !== '').map((column) => [column.name, column.kind === 'number' ? Number(row[column.name]) : row[column.name]]))

/**
 * A list of rules as an editable table (limits, pacing, forward keys' levels): rows changed in place,
 * removed, or added, sent as edits to those items only so the rest of the list keeps its comments.
 */
export function RulesEditor({ title, path, items, columns, disabled, description }: { title: string; path: Path; items: readonly Record<string, unknown>[] | undefined; columns: readonly Column[]; disabled: boolean; description?: string }) {
  const saved = items ?? []
  const initial = () => saved.map((item) => rowOf(item, columns))
  const [rows, setRows] = useState<(Row & { removed?: string })[]>(initial)
  const [added, setAdded] = useState<Row[]>([])
  const change = useChange()
  const key = JSON.stringify(saved)
  useEffect(() => {
    setRows(initial())
    setAdded([])
  }, [key])

  const edits: Edit[] = []
  rows.forEach((row, index) => {
    if (row.removed === undefined) edits.push(...fieldEdits([...path, index], saved[index] ?? {}, valueOf(row, columns), columns.map((column) => column.name)).filter((edit) => !(edit.op === 'set' && String(saved[index]?.[edit.path.at(-1) as string]) === String(edit.value))))
  })
  rows
    .map((row, index) => (row.removed === undefined ? -1 : index))
    .filter((index) => index >= 0)
    .reverse()
    .forEach((index) => edits.push({ op: 'delete', path: [...path, index] }))
  for (const row of added) edits.push({ op: 'append', path, value: valueOf(row, columns) })

  const cell = (row: Row, column: Column, onChange: (value: string) => void, label: string) =>
    column.kind === 'select' ? (
      <select aria-label={label} value={row[column.name]} onChange={(event) => onChange(event.currentTarget.value)}>
        {['', ...(column.options ?? [])].map((option) => (
          <option key={option} value={option}>
            {option === '' ? column.placeholder ?? '(default)' : option}
          </option>
        ))}
      </select>
    ) : column.kind === 'number' ? (
      <input aria-label={label} type="number" value={row[column.name]} placeholder={column.placeholder} onInput={(event) => onChange(event.currentTarget.value)} />
    ) : (
      <input aria-label={label} type="text" value={row[column.name]} placeholder={column.placeholder} onInput={(event) => onChange(event.currentTarget.value)} />
    )
  const id = `rules-${path.join('-')}`
  return (
    <FormCard id={id} title={title} description={description} onSubmit={() => void change.run(edits)}>
      <fieldset disabled={disabled}>
        <table class="data compact rules">
          <thead>
            <tr>
              {columns.map((column) => (
                <th scope="col" key={column.name}>
                  {column.label}
                </th>
              ))}
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={`r${index}`} class={row.removed === undefined ? undefined : 'removed'}>
                {columns.map((column) => (
                  <td key={column.name}>{cell(row, column, (value) => setRows(rows.map((entry, at) => (at === index ? { ...entry, [column.name]: value } : entry))), `${title} rule ${index + 1} ${column.label}`)}</td>
                ))}
                <td>
                  <button type="button" class="link danger" aria-label={`${row.removed === undefined ? 'Remove' : 'Keep'} ${title.toLowerCase()} rule ${index + 1}`} onClick={() => setRows(rows.map((entry, at) => (at === index ? { ...entry, removed: entry.removed === undefined ? 'yes' : undefined } as Row : entry)))}>
                    {row.removed === undefined ? 'Remove' : 'Keep'}
                  </button>
                </td>
              </tr>
            ))}
            {added.map((row, index) => (
              <tr key={`a${index}`} class="added">
                {columns.map((column) => (
                  <td key={column.name}>{cell(row, column, (value) => setAdded(added.map((entry, at) => (at === index ? { ...entry, [column.name]: value } : entry))), `New ${title.toLowerCase()} rule ${index + 1} ${column.label}`)}</td>
                ))}
                <td>
                  <button type="button" class="link danger" aria-label={`Drop new ${title.toLowerCase()} rule ${index + 1}`} onClick={() => setAdded(added.filter((_, at) => at !== index))}>
                    Drop
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && added.length === 0 && <p class="empty">No rules.</p>}
      </fieldset>
      <SaveBar
        error={change.error}
        busy={change.busy}
        changed={edits.length > 0}
        label={`Save ${title.toLowerCase()}`}
        hidden={disabled}
        before={
          <>
            <button type="button" class="ghost" onClick={() => setAdded([...added, Object.fromEntries(columns.map((column) => [column.name, ''])) as Row])}>
              Add a rule
            </button>
            <span class="spacer" />
          </>
        }
      />
    </FormCard>
  )
}
