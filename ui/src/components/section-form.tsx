import { useEffect, useState } from 'preact/hooks'
import { fieldEdits, type Path } from '../lib/edits'
import { useChange } from '../lib/use-change'
import { CheckField, LinesField, NumberField, SelectField, TextField } from './field'
import { FormCard, SaveBar } from './form-card'

export interface FieldSpec {
  /** The key under the section's path. */
  name: string
  label: string
  kind: 'text' | 'number' | 'select' | 'check' | 'lines' | 'secret'
  options?: readonly (string | { value: string; label: string })[]
  placeholder?: string
  hint?: string
  /** For check: the value the setting has when it is not written. */
  defaultChecked?: boolean
}

/** A value as the document has it, for the field to show. */
function shown(spec: FieldSpec, value: unknown): unknown {
  if (spec.kind === 'check') return value === undefined ? spec.defaultChecked === true : value === true
  if (spec.kind === 'lines' || spec.kind === 'number') return value
  return value === undefined || value === null ? '' : String(value)
}

/** A value as the document should have it: undefined (the default applies) for an empty field or an unchanged default. */
function stored(spec: FieldSpec, value: unknown): unknown {
  if (spec.kind === 'check') return value === (spec.defaultChecked === true) ? undefined : value
  if (spec.kind === 'text' || spec.kind === 'select' || spec.kind === 'secret') return value === '' ? undefined : value
  return value
}

/**
 * A form for the plain settings of one config section (server, timeouts, records...): each field
 * shows what the document says (empty: the default), and Save sends only the fields changed. A
 * secret shows its mask; typing replaces it, leaving it keeps it.
 */
export function SectionForm({ title, path, values, fields, disabled, description }: { title: string; path: Path; values: Record<string, unknown> | undefined; fields: readonly FieldSpec[]; disabled: boolean; description?: string }) {
  const initial = () => Object.fromEntries(fields.map((spec) => [spec.name, shown(spec, values?.[spec.name])]))
  const [draft, setDraft] = useState<Record<string, unknown>>(initial)
  const change = useChange()
  const source = JSON.stringify(values ?? {})
  useEffect(() => setDraft(initial()), [source])
  const before = Object.fromEntries(fields.map((spec) => [spec.name, values?.[spec.name]]))
  const after = Object.fromEntries(fields.map((spec) => [spec.name, stored(spec, draft[spec.name])]))
  // A number typed as text in the document (`port: "8000"`) compares equal to the number shown.
  const edits = fieldEdits(path, before, after, fields.map((spec) => spec.name)).filter((edit) => !(edit.op === 'set' && String(before[edit.path.at(-1) as string]) === String(edit.value)))
  const set = (name: string) => (value: unknown) => setDraft((current) => ({ ...current, [name]: value }))
  const id = `section-${path.join('-')}`
  return (
    <FormCard id={id} title={title} description={description} onSubmit={() => void change.run(edits)}>
      <fieldset class="form-grid" disabled={disabled}>
        {fields.map((spec) => {
          const value = draft[spec.name]
          switch (spec.kind) {
            case 'check':
              return <CheckField key={spec.name} label={spec.label} checked={value === true} onChange={set(spec.name)} {...(spec.hint !== undefined && { hint: spec.hint })} />
            case 'number':
              return <NumberField key={spec.name} label={spec.label} value={value as number | undefined} onInput={set(spec.name)} placeholder={spec.placeholder} hint={spec.hint} />
            case 'select':
              return <SelectField key={spec.name} label={spec.label} value={value as string} onChange={set(spec.name)} options={spec.options ?? []} hint={spec.hint} />
            case 'lines':
              return <LinesField key={spec.name} label={spec.label} value={value as string[] | undefined} onInput={set(spec.name)} placeholder={spec.placeholder} hint={spec.hint} />
            default:
              return <TextField key={spec.name} label={spec.label} value={value as string} onInput={set(spec.name)} placeholder={spec.placeholder} hint={spec.hint} mono={spec.kind === 'secret'} type="text" />
          }
        })}
      </fieldset>
      <SaveBar
        error={change.error}
        busy={change.busy}
        changed={edits.length > 0}
        label={`Save ${title.toLowerCase()}`}
        hidden={disabled}
        before={
          <button type="button" class="ghost" disabled={edits.length === 0} onClick={() => setDraft(initial())}>
            Undo
          </button>
        }
      />
    </FormCard>
  )
}
