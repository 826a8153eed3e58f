import { signal } from '@preact/signals'
import { useState } from 'preact/hooks'
import { changeConfig } from './config'
import type { Edit } from './edits'

/** The last change's outcome, shown by the page frame for a few seconds. */
export const toast = signal<{ tone: 'ok' | 'warn'; text: string } | undefined>(undefined)
let toastTimer: ReturnType<typeof setTimeout> | undefined

function say(tone: 'ok' | 'warn', text: string) {
  toast.value = { tone, text }
  clearTimeout(toastTimer)
  toastTimer = setTimeout(() => (toast.value = undefined), 6000)
}

/** A form's save: busy while it runs, the API's error kept for the form to show, the outcome announced. */
export function useChange() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const run = async (edits: Edit[] | { source: string }, done?: () => void): Promise<boolean> => {
    if (Array.isArray(edits) && edits.length === 0) {
      done?.()
      return true
    }
    setBusy(true)
    setError(undefined)
    try {
      const result = await changeConfig(Array.isArray(edits) ? { edits } : edits)
      if (result.applied) say('ok', 'Saved and applied: the gateway uses it from the next request.')
      else say('warn', `Saved to the file, but the gateway kept the running config: ${result.problem ?? 'the reload was refused'}.`)
      done?.()
      return true
    } catch (failure) {
      setError(failure)
      return false
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run, setError }
}
