import { useEffect, useState } from 'preact/hooks'
import { PatchView } from '../components/diff-view'
import { Empty, ErrorNotice } from '../components/notice'
import { get, query } from '../lib/api'
import { when } from '../lib/format'
import type { AuditEntry } from '../../../src/admin/wire'

/** An entry as the API lists it: always with its seq. */
type ListedEntry = AuditEntry & { seq: number }

/** Audit (issue 15 point 6): every login, logout and change, newest first, each change with its masked diff. */
export function AuditPage() {
  const [entries, setEntries] = useState<ListedEntry[]>([])
  const [next, setNext] = useState<number | null>(null)
  const [error, setError] = useState<unknown>(undefined)
  const [loaded, setLoaded] = useState(false)
  const load = async (before?: number) => {
    try {
      const page = await get<{ entries: ListedEntry[]; next: number | null }>(`/admin/api/audit${query({ limit: 50, before })}`)
      setEntries((current) => (before === undefined ? page.entries : [...current, ...page.entries]))
      setNext(page.next)
    } catch (failure) {
      setError(failure)
    } finally {
      setLoaded(true)
    }
  }
  useEffect(() => void load(), [])
  return (
    <section aria-labelledby="audit-title">
      <div class="page-head">
        <h1 id="audit-title">Audit log</h1>
        <button type="button" class="ghost" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p class="lead">Every login, refused login, logout and config change: who, when, from where, and what changed (secrets masked).</p>
      <ErrorNotice error={error} />
      <ol class="audit" aria-label="Audit entries, newest first">
        {entries.map((entry) => (
          <li key={entry.seq} class="card">
            <div class="audit-head">
              <span class={`pill ${entry.action.includes('fail') || entry.action.includes('refused') ? 'bad' : entry.action.startsWith('config') ? 'info' : 'muted'}`}>{entry.action}</span>
              <span>{entry.summary}</span>
              <span class="spacer" />
              <span class="muted nowrap">
                {entry.actor} · {entry.address} · {when(entry.time)}
              </span>
            </div>
            {entry.diff !== undefined && entry.diff !== '' && (
              <details>
                <summary>What changed</summary>
                <PatchView patch={entry.diff} label={`Changes of audit entry ${entry.seq}`} />
              </details>
            )}
          </li>
        ))}
      </ol>
      {loaded && entries.length === 0 && <Empty>Nothing has happened yet.</Empty>}
      {next !== null && (
        <button type="button" class="ghost wide" onClick={() => void load(next)}>
          Older entries
        </button>
      )}
    </section>
  )
}
