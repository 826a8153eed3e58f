import { useEffect, useRef, useState } from 'preact/hooks'
import { DiffView } from '../components/diff-view'
import { ErrorNotice, Notice } from '../components/notice'
import { checkConfig, config } from '../lib/config'
import { isAdmin } from '../lib/session'
import { useChange } from '../lib/use-change'
import { ReadOnlyNotice } from './read-only'

/**
 * The raw YAML editor: the whole document, secrets masked (leave a mask where it is to keep the
 * secret), checked by the server's loader as you type, and a diff to review before it is applied.
 */
export function YamlEditor() {
  const loaded = config.value
  const [text, setText] = useState(loaded?.source ?? '')
  const [issues, setIssues] = useState<{ path: string; problem: string }[] | undefined>(undefined)
  const [reviewing, setReviewing] = useState(false)
  const change = useChange()
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const editable = isAdmin() && loaded?.readOnly === null
  const changed = loaded !== undefined && text !== loaded.source

  useEffect(() => setText(loaded?.source ?? ''), [loaded?.etag])
  useEffect(() => {
    if (!changed || loaded?.readOnly !== null) {
      setIssues(undefined)
      return
    }
    clearTimeout(timer.current)
    // Checked once typing pauses: the loader runs on the server, with the secrets the masks stand for.
    timer.current = setTimeout(() => {
      checkConfig({ source: text }).then(setIssues, (error: unknown) => setIssues([{ path: '(check)', problem: (error as Error).message }]))
    }, 400)
    return () => clearTimeout(timer.current)
  }, [text])

  return (
    <section aria-labelledby="yaml-title">
      <div class="page-head">
        <h1 id="yaml-title">Config as YAML</h1>
        <a class="button ghost" href="#/settings">
          Back to settings
        </a>
      </div>
      <ReadOnlyNotice />
      <div class="editor-grid">
        <div>
          <label for="yaml-source" class="visually-hidden">
            Config document
          </label>
          <textarea id="yaml-source" class="yaml mono" spellcheck={false} readOnly={!editable} value={text} onInput={(event) => setText(event.currentTarget.value)} />
        </div>
        <aside class="card" aria-label="Check">
          <h2>Check</h2>
          {!changed && <p class="hint">Unchanged. Secrets show as <code>********</code> and their last 4 characters: leave a mask where it is to keep that secret, or type a new value.</p>}
          {changed && issues === undefined && <p class="hint">Checking…</p>}
          {changed && issues !== undefined && issues.length === 0 && <Notice tone="ok">The loader accepts this document.</Notice>}
          {changed && issues !== undefined && issues.length > 0 && (
            <div class="notice bad" role="alert">
              <strong>The loader would refuse it:</strong>
              <ul>
                {issues.map((issue) => (
                  <li key={issue.path + issue.problem}>
                    <code>{issue.path}</code>: {issue.problem}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <ErrorNotice error={change.error} />
          {editable && (
            <div class="actions">
              <button type="button" class="ghost" disabled={!changed} onClick={() => setText(loaded?.source ?? '')}>
                Undo all
              </button>
              <button type="button" class="primary" disabled={!changed || (issues?.length ?? 0) > 0} onClick={() => setReviewing(!reviewing)}>
                {reviewing ? 'Hide changes' : 'Review changes'}
              </button>
            </div>
          )}
          {reviewing && changed && loaded !== undefined && (
            <>
              <DiffView before={loaded.source} after={text} label="Your changes" />
              <button type="button" class="primary wide" disabled={change.busy} onClick={() => void change.run({ source: text }, () => setReviewing(false))}>
                {change.busy ? 'Applying…' : 'Apply'}
              </button>
            </>
          )}
        </aside>
      </div>
    </section>
  )
}
