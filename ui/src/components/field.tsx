import type { ComponentChildren } from 'preact'
import { useId } from 'preact/hooks'

interface FieldProps {
  label: string
  hint?: ComponentChildren
  /** An error for this field (from the loader's issues). */
  problem?: string | undefined
}

/** A label above its control, a hint and a problem below: every control has an accessible name. */
function Frame({ label, hint, problem, id, children }: FieldProps & { id: string; children: ComponentChildren }) {
  return (
    <div class={`field${problem === undefined ? '' : ' has-problem'}`}>
      <label for={id}>{label}</label>
      {children}
      {hint !== undefined && <div class="hint" id={`${id}-hint`}>{hint}</div>}
      {problem !== undefined && (
        <div class="problem" role="alert">
          {problem}
        </div>
      )}
    </div>
  )
}

export function TextField(props: FieldProps & { value: string; onInput: (value: string) => void; placeholder?: string; type?: 'text' | 'password' | 'datetime-local' | 'url'; mono?: boolean; autoComplete?: string; required?: boolean; readOnly?: boolean }) {
  const id = useId()
  return (
    <Frame {...props} id={id}>
      <input
        id={id}
        // One input for each kind of text; Preact's types discriminate on the literal.
        type={(props.type ?? 'text') as 'text'}
        class={props.mono === true ? 'mono' : undefined}
        value={props.value}
        placeholder={props.placeholder}
        autoComplete={props.autoComplete ?? 'off'}
        required={props.required}
        readOnly={props.readOnly}
        aria-describedby={props.hint === undefined ? undefined : `${id}-hint`}
        aria-invalid={props.problem !== undefined}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
    </Frame>
  )
}

export function NumberField(props: FieldProps & { value: number | undefined; onInput: (value: number | undefined) => void; placeholder?: string; min?: number; step?: number }) {
  const id = useId()
  return (
    <Frame {...props} id={id}>
      <input
        id={id}
        type="number"
        value={props.value ?? ''}
        min={props.min}
        step={props.step ?? 1}
        placeholder={props.placeholder}
        aria-invalid={props.problem !== undefined}
        onInput={(event) => {
          const text = event.currentTarget.value
          props.onInput(text === '' ? undefined : Number(text))
        }}
      />
    </Frame>
  )
}

export function SelectField(props: FieldProps & { value: string; onChange: (value: string) => void; options: readonly (string | { value: string; label: string })[] }) {
  const id = useId()
  return (
    <Frame {...props} id={id}>
      <select id={id} value={props.value} onChange={(event) => props.onChange(event.currentTarget.value)}>
        {props.options.map((option) => {
          const { value, label } = typeof option === 'string' ? { value: option, label: option === '' ? '(default)' : option } : option
          return (
            <option key={value} value={value}>
              {label}
            </option>
          )
        })}
      </select>
    </Frame>
  )
}

export function CheckField(props: { label: string; checked: boolean; onChange: (checked: boolean) => void; hint?: string }) {
  const id = useId()
  return (
    <div class="field check">
      <input id={id} type="checkbox" checked={props.checked} onChange={(event) => props.onChange(event.currentTarget.checked)} />
      <label for={id}>{props.label}</label>
      {props.hint !== undefined && <div class="hint">{props.hint}</div>}
    </div>
  )
}

/** A list of strings, one a line (models, address ranges). */
export function LinesField(props: FieldProps & { value: readonly string[] | undefined; onInput: (value: string[]) => void; placeholder?: string; rows?: number }) {
  const id = useId()
  return (
    <Frame {...props} id={id}>
      <textarea
        id={id}
        class="mono"
        rows={props.rows ?? 3}
        placeholder={props.placeholder}
        value={(props.value ?? []).join('\n')}
        aria-invalid={props.problem !== undefined}
        onInput={(event) =>
          props.onInput(
            event.currentTarget.value
              .split('\n')
              .map((line) => line.trim())
              .filter((line) => line !== ''),
          )
        }
      />
    </Frame>
  )
}

/** A string → string map, one `key: value` a line (a model map, headers). */
export function MapField(props: FieldProps & { value: Record<string, string> | undefined; onInput: (value: Record<string, string>) => void; placeholder?: string }) {
  const id = useId()
  const text = Object.entries(props.value ?? {})
    .map(([key, value]) => `${key}: ${value}`)
    .join('\n')
  return (
    <Frame {...props} id={id}>
      <textarea
        id={id}
        class="mono"
        rows={3}
        placeholder={props.placeholder}
        value={text}
        onInput={(event) => {
          const map: Record<string, string> = {}
          for (const line of event.currentTarget.value.split('\n')) {
            const at = line.indexOf(':')
            if (at > 0) map[line.slice(0, at).trim()] = line.slice(at + 1).trim()
          }
          props.onInput(map)
        }}
      />
    </Frame>
  )
}
