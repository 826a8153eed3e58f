import type { ComponentChildren } from 'preact'
import { ApiError } from '../lib/api'

/** An error as a person reads it: the API's message, the code to search the docs for, and each issue the loader found. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null
  const api = error instanceof ApiError ? error : undefined
  return (
    <div class="notice bad" role="alert">
      <strong>{api?.message ?? (error as Error).message ?? String(error)}</strong>
      {api !== undefined && <span class="code"> {api.code}</span>}
      {api !== undefined && api.issues.length > 0 && (
        <ul>
          {api.issues.map((issue) => (
            <li key={issue.path + issue.problem}>
              <code>{issue.path}</code>: {issue.problem}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

export function Notice({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'info'; children: ComponentChildren }) {
  return (
    <div class={`notice ${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      {children}
    </div>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}
