import type { ComponentChildren } from 'preact'
import { ErrorNotice } from './notice'

/** A card holding one form of a page, named by its heading. */
export function FormCard({ id, title, description, onSubmit, children }: { id: string; title: string; description?: ComponentChildren; onSubmit: () => void; children: ComponentChildren }) {
  return (
    <form
      class="card section"
      aria-labelledby={id}
      onSubmit={(event) => {
        event.preventDefault()
        onSubmit()
      }}
    >
      <h2 id={id}>{title}</h2>
      {description !== undefined && <p class="hint">{description}</p>}
      {children}
    </form>
  )
}

/**
 * The foot of a form: the API's refusal, if any, then the buttons; the submit button says what it
 * saves and is off while nothing changed or a save runs. `before` goes left of it (Undo, Add a rule).
 */
export function SaveBar({ error, busy, changed, label, before, hidden }: { error: unknown; busy: boolean; changed: boolean; label: string; before?: ComponentChildren; hidden?: boolean }) {
  return (
    <>
      <ErrorNotice error={error} />
      {hidden !== true && (
        <div class="actions">
          {before}
          <button type="submit" class="primary" disabled={!changed || busy}>
            {busy ? 'Saving…' : label}
          </button>
        </div>
      )}
    </>
  )
}

/** The foot of a dialog's form: the refusal, Cancel, and the submit button. */
export function DialogActions({ error, busy, label, onCancel }: { error: unknown; busy: boolean; label: string; onCancel: () => void }) {
  return (
    <>
      <div class="span-all">
        <ErrorNotice error={error} />
      </div>
      <div class="actions span-all">
        <button type="button" class="ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : label}
        </button>
      </div>
    </>
  )
}
