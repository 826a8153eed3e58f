import { useState } from 'preact/hooks'
import { Dialog } from '../components/dialog'
import { SelectField, TextField } from '../components/field'
import { DialogActions } from '../components/form-card'
import { noSecretChange, SecretList } from '../components/secret-list'
import type { RouteDoc } from '../lib/config'
import { fieldEdits, secretListEdits, type Edit } from '../lib/edits'
import { useChange } from '../lib/use-change'

type CacheForm = { mode: string; scope: string; ttl: string }

function cacheOf(route: RouteDoc | undefined): CacheForm {
  const cache = route?.cache
  if (cache === undefined) return { mode: '', scope: '', ttl: '' }
  if (typeof cache === 'string') return { mode: cache, scope: '', ttl: '' }
  return { mode: cache.mode, scope: cache.scope ?? '', ttl: cache.ttl === undefined ? '' : String(cache.ttl) }
}

/** The cache setting as the document writes it: the short form when only the mode is set. */
function cacheValue(form: CacheForm, paths: string[] | undefined): RouteDoc['cache'] | undefined {
  if (form.mode === '') return undefined
  if (form.scope === '' && form.ttl === '' && paths === undefined) return form.mode
  return { mode: form.mode, ...(form.scope !== '' && { scope: form.scope }), ...(form.ttl !== '' && { ttl: form.ttl }), ...(paths !== undefined && { paths }) }
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value))

/** Adds a route, or changes one's own settings (its upstreams have their own form). */
export function RouteForm({ route, index, onClose }: { route: RouteDoc | undefined; index: number; onClose: () => void }) {
  const [path, setPath] = useState(route?.path ?? '')
  const [type, setType] = useState(text(route?.type))
  const [strategy, setStrategy] = useState(text(route?.strategy))
  const [timeout, setTimeout] = useState(text(route?.timeout))
  const [streamTimeout, setStreamTimeout] = useState(text(route?.streamTimeout))
  const [idleTimeout, setIdleTimeout] = useState(text(route?.idleTimeout))
  const [records, setRecords] = useState(text(route?.records))
  const [cache, setCache] = useState(cacheOf(route))
  const [tokens, setTokens] = useState(noSecretChange())
  const [firstUrl, setFirstUrl] = useState('')
  const change = useChange()

  const save = async (event: Event) => {
    event.preventDefault()
    const after: Record<string, unknown> = {
      path,
      type: type || undefined,
      strategy: strategy || undefined,
      timeout: timeout || undefined,
      streamTimeout: streamTimeout || undefined,
      idleTimeout: idleTimeout || undefined,
      records: records || undefined,
      cache: cacheValue(cache, typeof route?.cache === 'object' ? route.cache.paths : undefined),
    }
    let edits: Edit[]
    if (route === undefined) {
      const added = Object.fromEntries(Object.entries(after).filter(([, value]) => value !== undefined))
      edits = [{ op: 'append', path: ['routes'], value: { ...added, ...(tokens.added.length > 0 && { clientTokens: tokens.added }), upstreams: [{ url: firstUrl }] } }]
    } else {
      edits = [
        ...fieldEdits(['routes', index], route as Record<string, unknown>, after, ['path', 'type', 'strategy', 'timeout', 'streamTimeout', 'idleTimeout', 'records', 'cache']),
        ...secretListEdits(['routes', index, 'clientTokens'], tokens.removed, tokens.added, route.clientTokens !== undefined, (route.clientTokens?.length ?? 0) - tokens.removed.length),
      ]
    }
    await change.run(edits, onClose)
  }

  return (
    <Dialog title={route === undefined ? 'Add a route' : `Route ${route.path}`} onClose={onClose} wide>
      <form onSubmit={(event) => void save(event)} class="form-grid">
        <TextField label="Path prefix" value={path} onInput={setPath} required mono placeholder="/ or /claude" hint="Requests under this path go to this route; the longest prefix wins." />
        <SelectField label="Type" value={type} onChange={setType} options={[{ value: '', label: 'openai (default)' }, { value: 'general', label: 'general: any request, byte for byte' }]} />
        <SelectField
          label="Strategy"
          value={strategy}
          onChange={setStrategy}
          options={[
            { value: '', label: 'ordered (default): in order, failing over' },
            { value: 'random', label: 'random' },
            { value: 'weighted', label: 'weighted (by upstream weight)' },
            { value: 'least-inflight', label: 'least in flight' },
          ]}
        />
        <SelectField label="Records" value={records} onChange={setRecords} options={[{ value: '', label: 'as records.level says' }, 'none', 'meta', 'full']} />
        <TextField label="Timeout" value={timeout} onInput={setTimeout} placeholder="inherits timeouts.timeout" hint="To the answer's headers, e.g. 60s." />
        <TextField label="Stream timeout" value={streamTimeout} onInput={setStreamTimeout} placeholder="inherits" hint="To the first event of a stream." />
        <TextField label="Idle timeout" value={idleTimeout} onInput={setIdleTimeout} placeholder="inherits" hint="Longest silence inside an answer." />
        <SelectField label="Cache" value={cache.mode} onChange={(mode) => setCache({ ...cache, mode })} options={[{ value: '', label: 'off (default)' }, 'off', 'opt-in', 'always']} />
        <SelectField label="Cache scope" value={cache.scope} onChange={(scope) => setCache({ ...cache, scope })} options={[{ value: '', label: 'client (default): per key' }, { value: 'shared', label: 'shared by every client' }]} />
        <TextField label="Cache TTL" value={cache.ttl} onInput={(ttl) => setCache({ ...cache, ttl })} placeholder="cache.ttl" />
        {route === undefined && <TextField label="First upstream URL" value={firstUrl} onInput={setFirstUrl} required mono placeholder="https://api.openai.com" hint="More upstreams, keys and models in the upstream's own form." />}
        <div class="span-all">
          <SecretList label="Client tokens of this route" saved={route?.clientTokens} change={tokens} onChange={setTokens} hint="Only these tokens (and the global ones) may use the route; none: as access.clientTokens says." />
        </div>
        <DialogActions error={change.error} busy={change.busy} label={route === undefined ? 'Add route' : 'Save route'} onCancel={onClose} />
      </form>
    </Dialog>
  )
}
