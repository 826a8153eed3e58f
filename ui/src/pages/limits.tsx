import { RulesEditor, type Column } from '../components/rules-editor'
import { SectionForm } from '../components/section-form'
import { ErrorNotice } from '../components/notice'
import { config } from '../lib/config'
import { useChange } from '../lib/use-change'
import { isAdmin } from '../lib/session'
import { ReadOnlyNotice } from './read-only'

const ruleColumns: Column[] = [
  { name: 'limit', label: 'Limit', kind: 'text', placeholder: '60/minute' },
  { name: 'per', label: 'Counted per', kind: 'select', options: ['global', 'route', 'client', 'ip', 'model'], placeholder: 'client' },
  { name: 'route', label: 'Only route', kind: 'text', placeholder: 'any' },
  { name: 'level', label: 'Only level', kind: 'number', placeholder: 'any' },
  { name: 'model', label: 'Only model', kind: 'text', placeholder: 'any' },
]

/** Limits & cache (issue 15 point 5): request and token limits, stream pacing, the cache store and each route's cache. */
export function LimitsPage() {
  const loaded = config.value
  const doc = loaded?.document
  const disabled = !isAdmin() || loaded?.readOnly !== null
  return (
    <section aria-labelledby="limits-title">
      <div class="page-head">
        <h1 id="limits-title">Limits &amp; cache</h1>
      </div>
      <ReadOnlyNotice />
      <SectionForm
        title="Limits"
        path={['limits']}
        values={doc?.limits}
        disabled={disabled}
        description="Counters live in memory (one instance) or in Redis (shared by every instance, exact)."
        fields={[
          { name: 'backend', label: 'Counter store', kind: 'secret', placeholder: 'memory', hint: 'memory or redis://host:6379' },
          { name: 'strategy', label: 'Window', kind: 'select', options: [{ value: '', label: 'fixed-window (default)' }, 'moving-window', 'fixed-window-elastic-expiry'] },
          { name: 'onBackendError', label: 'When the store is down', kind: 'select', options: [{ value: '', label: 'fail-open: admit (default)' }, { value: 'fail-closed', label: 'fail-closed: refuse with 503' }] },
          { name: 'backendTimeout', label: 'Store timeout', kind: 'text', placeholder: '200ms' },
          { name: 'global', label: 'Global limit per client', kind: 'text', placeholder: 'none, e.g. 100/minute', hint: 'For requests no rule below matches.' },
        ]}
      />
      <RulesEditor title="Request limits" path={['limits', 'requests']} items={doc?.limits?.requests as Record<string, unknown>[] | undefined} columns={ruleColumns} disabled={disabled} description="Requests per window, e.g. 60/minute;1000/day. A request must pass every rule that matches it." />
      <RulesEditor title="Token limits" path={['limits', 'tokens']} items={doc?.limits?.tokens as Record<string, unknown>[] | undefined} columns={ruleColumns} disabled={disabled} description="Tokens per window (TPM, TPD): admitted on an estimate, settled with the real usage." />
      <RulesEditor
        title="Stream pacing"
        path={['limits', 'streamPacing']}
        items={doc?.limits?.streamPacing as Record<string, unknown>[] | undefined}
        columns={[
          { name: 'route', label: 'Route', kind: 'text', placeholder: '/' },
          { name: 'level', label: 'Level', kind: 'number', placeholder: '0' },
          { name: 'limit', label: 'Events', kind: 'text', placeholder: '20/second' },
        ]}
        disabled={disabled}
        description="The fastest a streamed answer's events reach the client (OpenAI-Forward's token_rate_limit)."
      />
      <SectionForm
        title="Cache store"
        path={['cache']}
        values={doc?.cache}
        disabled={disabled}
        description="Where cached answers live; which routes cache is each route's own setting (Routes)."
        fields={[
          { name: 'backend', label: 'Store', kind: 'secret', placeholder: 'memory', hint: 'memory, sqlite or redis://host:6379' },
          { name: 'ttl', label: 'Kept for', kind: 'text', placeholder: '1h' },
          { name: 'maxEntries', label: 'Most entries (memory)', kind: 'number', placeholder: '10000' },
          { name: 'maxBytes', label: 'Most bytes', kind: 'text', placeholder: 'unbounded, e.g. 512MB' },
          { name: 'maxEntryBytes', label: 'Largest answer kept', kind: 'text', placeholder: '4MB' },
          { name: 'path', label: 'SQLite file', kind: 'text', placeholder: '<dataDir>/cache.sqlite' },
        ]}
      />
      <RouteCaches disabled={disabled} />
    </section>
  )
}

/** Each route's cache mode at a glance, changed in place (the object form, with scope and TTL, in the route's own form). */
function RouteCaches({ disabled }: { disabled: boolean }) {
  const routes = config.value?.document.routes ?? []
  const change = useChange()
  return (
    <div class="card section" role="group" aria-labelledby="route-caches">
      <h2 id="route-caches">Route caches</h2>
      <table class="data compact">
        <thead>
          <tr>
            <th scope="col">Route</th>
            <th scope="col">Cache</th>
          </tr>
        </thead>
        <tbody>
          {routes.map((route, index) => {
            const mode = typeof route.cache === 'object' ? route.cache.mode : (route.cache ?? '')
            return (
              <tr key={index}>
                <td class="mono">{route.path}</td>
                <td>
                  <select
                    aria-label={`Cache of route ${route.path}`}
                    value={mode}
                    disabled={disabled || change.busy}
                    onChange={(event) => {
                      const value = event.currentTarget.value
                      const path = typeof route.cache === 'object' ? ['routes', index, 'cache', 'mode'] : ['routes', index, 'cache']
                      void change.run(value === '' ? [{ op: 'delete', path: ['routes', index, 'cache'] }] : [{ op: 'set', path, value }])
                    }}
                  >
                    <option value="">off (default)</option>
                    <option value="off">off</option>
                    <option value="opt-in">opt-in: when the request asks</option>
                    <option value="always">always: unless the request says no</option>
                  </select>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <ErrorNotice error={change.error} />
    </div>
  )
}
