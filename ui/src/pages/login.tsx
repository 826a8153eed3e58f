import { useState } from 'preact/hooks'
import { TextField } from '../components/field'
import { ApiError } from '../lib/api'
import { login } from '../lib/session'
import { theme, toggleTheme } from '../lib/theme'

/** The login page: one password (the admin's or the viewer's), refused ones say why and when to try again. */
export function LoginPage() {
  const [password, setPassword] = useState('')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setProblem(undefined)
    try {
      await login(password)
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) setProblem(`Too many failed logins: try again in ${error.retryAfter ?? 60} s.`)
      else if (error instanceof ApiError && error.status === 401) setProblem('Wrong password.')
      else setProblem((error as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="login" id="main">
      <form class="card login-card" onSubmit={(event) => void submit(event)} aria-labelledby="login-title">
        <div class="login-head">
          <svg viewBox="0 0 32 32" aria-hidden="true" width="36" height="36">
            <rect width="32" height="32" rx="7" fill="var(--accent)" />
            <path d="M7 10h11a4 4 0 0 1 0 8h-3l6 6" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" />
            <circle cx="9" cy="22" r="2.2" fill="#fff" />
          </svg>
          <h1 id="login-title">llm-relay admin</h1>
        </div>
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={setPassword}
          required
          problem={problem}
          hint={
            <>
              Generated at first start into <code>&lt;dataDir&gt;/admin-password</code> (the start banner names the file), or set as <code>admin.password</code>.
            </>
          }
        />
        <button type="submit" class="primary wide" disabled={busy || password === ''}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <button type="button" class="ghost small" onClick={toggleTheme} aria-label={theme.value === 'dark' ? 'Use the light theme' : 'Use the dark theme'}>
          {theme.value === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </form>
    </main>
  )
}
