import { useEffect } from 'preact/hooks'
import { Layout } from './components/layout'
import { Notice } from './components/notice'
import { config, configError, conflict, loadConfig } from './lib/config'
import { startLive, stopLive } from './lib/live'
import { loadMeta, meta } from './lib/meta'
import { location } from './lib/router'
import { checkSession, me } from './lib/session'
import { toast } from './lib/use-change'
import { Dialog } from './components/dialog'
import { DiffView } from './components/diff-view'
import { AccessPage } from './pages/access'
import { AuditPage } from './pages/audit'
import { LimitsPage } from './pages/limits'
import { LoginPage } from './pages/login'
import { OverviewPage } from './pages/overview'
import { PlaygroundPage } from './pages/playground'
import { RequestsPage } from './pages/requests'
import { RoutesPage } from './pages/routes'
import { SettingsPage } from './pages/settings'

const routes: Record<string, () => preact.JSX.Element> = {
  overview: OverviewPage,
  requests: RequestsPage,
  routes: RoutesPage,
  access: AccessPage,
  limits: LimitsPage,
  settings: SettingsPage,
  audit: AuditPage,
  playground: PlaygroundPage,
}

/** A change refused because someone else changed the config first: what they changed, so the admin can redo theirs on top. */
function ConflictDialog() {
  const seen = conflict.value
  if (seen === undefined) return null
  return (
    <Dialog title="The config changed meanwhile" onClose={() => (conflict.value = undefined)} wide>
      <p>Someone changed the config (another admin, or an edit on disk) after this page loaded it, so your change was not applied. This is what changed; the page now shows the new version: make your change again on it.</p>
      <DiffView before={seen.before} after={seen.after} label="Changes made meanwhile" />
      <div class="actions">
        <button type="button" class="primary" onClick={() => (conflict.value = undefined)}>
          Continue
        </button>
      </div>
    </Dialog>
  )
}

export function App() {
  useEffect(() => void checkSession(), [])
  const signedIn = me.value !== null && me.value !== undefined
  useEffect(() => {
    if (!signedIn) return
    void loadConfig()
    void loadMeta().catch(() => undefined)
    startLive()
    return stopLive
  }, [signedIn])

  // A change's outcome belongs to the page it was made on.
  useEffect(() => void (toast.value = undefined), [location.value.page])

  if (me.value === undefined) return <p class="empty">Loading…</p>
  if (me.value === null) return <LoginPage />
  const Page = routes[location.value.page] ?? OverviewPage
  return (
    <Layout version={meta.value?.version}>
      {configError.value !== undefined && config.value === undefined && <Notice tone="warn">The config could not be read: {configError.value}</Notice>}
      <Page />
      <ConflictDialog />
      {toast.value !== undefined && (
        <div class={`toast ${toast.value.tone}`} role="status" aria-live="polite">
          {toast.value.text}
        </div>
      )}
    </Layout>
  )
}
