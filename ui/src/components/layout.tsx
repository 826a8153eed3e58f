import type { ComponentChildren } from 'preact'
import { changedElsewhere, loadConfig } from '../lib/config'
import { timeZone } from '../lib/format'
import { location } from '../lib/router'
import { logout, me } from '../lib/session'
import { theme, toggleTheme } from '../lib/theme'
import { connection } from '../lib/live'

export const pages = [
  { id: 'overview', title: 'Overview' },
  { id: 'requests', title: 'Requests' },
  { id: 'routes', title: 'Routes' },
  { id: 'access', title: 'Access' },
  { id: 'limits', title: 'Limits & cache' },
  { id: 'settings', title: 'Settings' },
  { id: 'audit', title: 'Audit' },
  { id: 'playground', title: 'Playground' },
] as const

/** The frame of every page once logged in: the navigation, who is logged in, the theme, and a banner when the config changed elsewhere. */
export function Layout({ children, version }: { children: ComponentChildren; version: string | undefined }) {
  const current = location.value.page
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/overview" aria-label="llm-relay admin, overview">
          <svg viewBox="0 0 32 32" aria-hidden="true" width="22" height="22">
            <rect width="32" height="32" rx="7" fill="var(--accent)" />
            <path d="M7 10h11a4 4 0 0 1 0 8h-3l6 6" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" />
            <circle cx="9" cy="22" r="2.2" fill="#fff" />
          </svg>
          <span>llm-relay</span>
        </a>
        <span class={`live-dot ${connection.value}`} title={`Live updates: ${connection.value}`} aria-label={`Live updates ${connection.value}`} role="status" />
        <span class="spacer" />
        <span class="who">
          {me.value?.role === 'viewer' ? 'Viewer (read-only)' : 'Admin'}
        </span>
        <button type="button" class="ghost" onClick={toggleTheme} aria-label={theme.value === 'dark' ? 'Use the light theme' : 'Use the dark theme'}>
          {theme.value === 'dark' ? '☀' : '☾'}
        </button>
        <button type="button" class="ghost" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <nav class="sidebar" aria-label="Pages">
        <ul>
          {pages.map((page) => (
            <li key={page.id}>
              <a href={`#/${page.id}`} aria-current={current === page.id ? 'page' : undefined}>
                {page.title}
              </a>
            </li>
          ))}
        </ul>
        <p class="foot">
          {version === undefined ? '' : `v${version} · `}times in {timeZone}
        </p>
      </nav>
      <main id="main" tabIndex={-1}>
        {changedElsewhere.value !== undefined && (
          <div class="notice warn banner" role="status">
            The config changed outside this page (on disk, or by another admin).{' '}
            <button type="button" class="link" onClick={() => void loadConfig()}>
              Load the new version
            </button>
          </div>
        )}
        {children}
      </main>
    </div>
  )
}
