import { SectionForm } from '../components/section-form'
import { config } from '../lib/config'
import { location } from '../lib/router'
import { isAdmin } from '../lib/session'
import { ReadOnlyNotice } from './read-only'
import { YamlEditor } from './yaml-editor'

/** Settings (issue 15 point 5): the rest of the config by section, and the whole document in the YAML editor. */
export function SettingsPage() {
  if (location.value.rest[0] === 'yaml') return <YamlEditor />
  const loaded = config.value
  const doc = loaded?.document
  const disabled = !isAdmin() || loaded?.readOnly !== null
  return (
    <section aria-labelledby="settings-title">
      <div class="page-head">
        <h1 id="settings-title">Settings</h1>
        <a class="button ghost" href="#/settings/yaml">
          Edit as YAML
        </a>
        <a class="button ghost" href="/admin/api/config/export" download="relay.yaml">
          Download (secrets masked)
        </a>
      </div>
      <ReadOnlyNotice />
      {loaded?.file !== null && loaded?.file !== undefined && (
        <p class="lead">
          The config file <code>{loaded.file}</code> is the source of truth: each save changes it (comments and <code>{'${VAR}'}</code> references kept), checks it with the loader a start uses, writes it atomically and applies it without a restart.
        </p>
      )}
      <SectionForm
        title="Records"
        path={['records']}
        values={doc?.records}
        disabled={disabled}
        fields={[
          { name: 'level', label: 'Keep', kind: 'select', options: [{ value: '', label: 'meta: no content (default)' }, { value: 'full', label: 'full: bodies and answers too' }, 'none'] },
          { name: 'chat', label: 'Keep chat content (OpenAI-Forward LOG_OPENAI)', kind: 'check', defaultChecked: false },
          { name: 'headers', label: 'Keep request headers (credentials redacted)', kind: 'check', defaultChecked: false },
          { name: 'backend', label: 'Store', kind: 'select', options: [{ value: '', label: 'sqlite (default)' }, 'postgres', 'none'], hint: 'A new store takes effect at once; old records stay where they were.' },
          { name: 'url', label: 'Database', kind: 'secret', placeholder: '<dataDir>/records.sqlite', hint: 'The SQLite file, or a postgres:// URL.' },
          { name: 'maxAge', label: 'Delete after', kind: 'text', placeholder: 'never, e.g. 30d' },
          { name: 'maxRows', label: 'Keep at most', kind: 'number', placeholder: 'no limit' },
          { name: 'flushInterval', label: 'Write every', kind: 'text', placeholder: '1s' },
        ]}
      />
      <SectionForm
        title="Timeouts"
        path={['timeouts']}
        values={doc?.timeouts}
        disabled={disabled}
        description="Defaults for every route and upstream; each may set its own."
        fields={[
          { name: 'connect', label: 'Connect', kind: 'text', placeholder: '10s' },
          { name: 'timeout', label: 'To the answer (not streamed)', kind: 'text', placeholder: '120s' },
          { name: 'streamTimeout', label: 'To the first event (streamed)', kind: 'text', placeholder: '30s' },
          { name: 'idleTimeout', label: 'Silence inside an answer', kind: 'text', placeholder: '120s' },
        ]}
      />
      <SectionForm
        title="Failover"
        path={['failover']}
        values={doc?.failover}
        disabled={disabled}
        fields={[
          { name: 'maxAttempts', label: 'Attempts per request', kind: 'number', placeholder: 'one per upstream' },
          { name: 'totalTimeout', label: 'All attempts within', kind: 'text', placeholder: '300s' },
          { name: 'maxRetryAfter', label: 'Longest Retry-After waited out', kind: 'text', placeholder: '0 (fail over instead)' },
        ]}
      />
      <SectionForm
        title="Cooldown"
        path={['failover', 'cooldown']}
        values={doc?.failover?.cooldown}
        disabled={disabled}
        description="After this many failures in a row an upstream is tried last, for a while that doubles while it keeps failing."
        fields={[
          { name: 'failures', label: 'Failures in a row', kind: 'number', placeholder: '3' },
          { name: 'duration', label: 'First cooldown', kind: 'text', placeholder: '30s' },
          { name: 'maxDuration', label: 'Longest cooldown', kind: 'text', placeholder: '5m' },
        ]}
      />
      <SectionForm
        title="Server"
        path={['server']}
        values={doc?.server}
        disabled={disabled}
        description="The address and port take effect at the next start; the rest at once."
        fields={[
          { name: 'host', label: 'Address', kind: 'text', placeholder: '0.0.0.0' },
          { name: 'port', label: 'Port', kind: 'number', placeholder: '8000' },
          { name: 'bodyLimit', label: 'Largest request body', kind: 'text', placeholder: '32MB' },
          { name: 'trustedProxies', label: 'Trusted proxies', kind: 'lines', placeholder: 'none', hint: 'Their X-Forwarded-For is believed.' },
          { name: 'shutdownTimeout', label: 'Shutdown grace', kind: 'text', placeholder: '30s' },
        ]}
      />
      <SectionForm title="Logging" path={['log']} values={doc?.log} disabled={disabled} fields={[{ name: 'level', label: 'Log level', kind: 'select', options: [{ value: '', label: 'info (default)' }, 'fatal', 'error', 'warn', 'debug', 'trace', 'silent'] }]} />
      <SectionForm title="Metrics" path={['metrics']} values={doc?.metrics} disabled={disabled} fields={[{ name: 'token', label: 'Scrape token', kind: 'secret', placeholder: 'none: /metrics is open', hint: 'When set, scrapes send Authorization: Bearer <token>.' }]} />
    </section>
  )
}
