import { useId, useState } from 'preact/hooks'

export interface SecretListChange {
  removed: number[]
  added: string[]
}

/**
 * A write-only list of secrets (keys, client tokens): the saved ones are shown as the API masks them
 * and can only be removed; new ones are typed, and never shown again once saved.
 */
export function SecretList(props: { label: string; saved: readonly string[] | undefined; change: SecretListChange; onChange: (change: SecretListChange) => void; hint?: string; generate?: boolean }) {
  const id = useId()
  const [typed, setTyped] = useState('')
  const saved = props.saved ?? []
  const add = (value: string) => {
    if (value.trim() === '') return
    props.onChange({ ...props.change, added: [...props.change.added, value.trim()] })
    setTyped('')
  }
  return (
    <fieldset class="field secret-list">
      <legend>{props.label}</legend>
      {props.hint !== undefined && <div class="hint">{props.hint}</div>}
      <ul>
        {saved.map((mask, index) =>
          props.change.removed.includes(index) ? null : (
            <li key={`s${index}`}>
              <code>{mask}</code>
              <button type="button" class="link danger" aria-label={`Remove ${props.label.toLowerCase()} ${mask}`} onClick={() => props.onChange({ ...props.change, removed: [...props.change.removed, index] })}>
                Remove
              </button>
            </li>
          ),
        )}
        {props.change.added.map((value, index) => (
          <li key={`a${index}`}>
            <code>{`new ••••${value.slice(-4)}`}</code>
            <button type="button" class="link danger" aria-label={`Remove the new ${props.label.toLowerCase()} ending ${value.slice(-4)}`} onClick={() => props.onChange({ ...props.change, added: props.change.added.filter((_, at) => at !== index) })}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <div class="inline">
        <label for={id} class="visually-hidden">
          {`New ${props.label.toLowerCase()}`}
        </label>
        <input
          id={id}
          type="password"
          autoComplete="new-password"
          placeholder="type or paste, or ${ENV_VAR}"
          value={typed}
          onInput={(event) => setTyped(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault()
              add(typed)
            }
          }}
        />
        <button type="button" aria-label={`Add to ${props.label.toLowerCase()}`} onClick={() => add(typed)}>
          Add
        </button>
      </div>
    </fieldset>
  )
}

export const noSecretChange = (): SecretListChange => ({ removed: [], added: [] })
