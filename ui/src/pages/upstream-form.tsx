import { useState } from 'preact/hooks'
import { Dialog } from '../components/dialog'
import { CheckField, LinesField, MapField, NumberField, SelectField, TextField } from '../components/field'
import { DialogActions } from '../components/form-card'
import { noSecretChange, SecretList } from '../components/secret-list'
import type { UpstreamDoc } from '../lib/config'
import { fieldEdits, secretListEdits, type Edit } from '../lib/edits'
import { meta, type ProviderField } from '../lib/meta'
import { useChange } from '../lib/use-change'

/** The settings every upstream has that this form edits as plain fields (keys and tokens are secret lists). */
const commonFields = ['provider', 'name', 'url', 'auth', 'weight', 'timeout', 'streamTimeout', 'idleTimeout', 'models', 'noauth', 'keepHeaders', 'streamUsage', 'headers']

function ProviderInput({ field, value, onChange }: { field: ProviderField; value: unknown; onChange: (value: unknown) => void }) {
  const hint = field.default === undefined ? undefined : `Default: ${JSON.stringify(field.default)}`
  switch (field.kind) {
    case 'boolean':
      return <CheckField label={field.name} checked={value === true} onChange={onChange} />
    case 'number':
    case 'integer':
      return <NumberField label={field.name} value={value as number | undefined} onInput={onChange} hint={hint} />
    case 'list':
      return <LinesField label={field.name} value={value as string[] | undefined} onInput={onChange} hint={hint} />
    case 'map':
      return <MapField label={field.name} value={value as Record<string, string> | undefined} onInput={onChange} hint="One name: value a line." />
    default:
      return field.options !== undefined ? (
        <SelectField label={field.name} value={value === undefined ? '' : String(value)} onChange={(chosen) => onChange(chosen === '' ? undefined : chosen)} options={['', ...field.options]} hint={hint} />
      ) : (
        <TextField label={field.name} value={value === undefined ? '' : String(value)} onInput={(typed) => onChange(typed === '' ? undefined : typed)} hint={hint} />
      )
  }
}

/** Adds an upstream to a route, or changes one: its provider, where it is, its keys, which models it serves. */
export function UpstreamForm({ routeIndex, routePath, upstream, index, onClose }: { routeIndex: number; routePath: string; upstream: UpstreamDoc | undefined; index: number; onClose: () => void }) {
  const [draft, setDraft] = useState<Record<string, unknown>>({ ...(upstream ?? {}) })
  const [keys, setKeys] = useState(noSecretChange())
  const [tokens, setTokens] = useState(noSecretChange())
  const change = useChange()
  const providers = meta.value?.providers ?? []
  const provider = providers.find((entry) => entry.name === (draft['provider'] ?? 'openai'))
  const set = (field: string) => (value: unknown) => setDraft((current) => ({ ...current, [field]: value === '' ? undefined : value }))
  const models = (draft['models'] ?? {}) as NonNullable<UpstreamDoc['models']>
  const setModels = (part: 'allow' | 'deny' | 'map') => (value: unknown) => {
    const next: Record<string, unknown> = { ...models, [part]: value }
    for (const [key, entry] of Object.entries(next)) if (entry === undefined || (Array.isArray(entry) && entry.length === 0) || (typeof entry === 'object' && Object.keys(entry as object).length === 0)) delete next[key]
    set('models')(Object.keys(next).length === 0 ? undefined : next)
  }
  const own = provider?.fields.map((field) => field.name) ?? []

  const save = async (event: Event) => {
    event.preventDefault()
    const base = ['routes', routeIndex, 'upstreams']
    let edits: Edit[]
    if (upstream === undefined) {
      const value = Object.fromEntries(Object.entries(draft).filter(([, entry]) => entry !== undefined))
      if (keys.added.length > 0) value['keys'] = keys.added
      if (tokens.added.length > 0) value['clientTokens'] = tokens.added
      edits = [{ op: 'append', path: base, value }]
    } else {
      // A provider's own settings that the new provider does not have go, or the loader would refuse them.
      const dropped = (providers.find((entry) => entry.name === (upstream.provider ?? 'openai'))?.fields ?? []).map((field) => field.name).filter((name) => !own.includes(name))
      const after = { ...draft, ...Object.fromEntries(dropped.map((name) => [name, undefined])) }
      edits = [
        ...fieldEdits([...base, index], upstream as Record<string, unknown>, after, [...commonFields, ...own, ...dropped]),
        ...secretListEdits([...base, index, 'keys'], keys.removed, keys.added, upstream.keys !== undefined, (upstream.keys?.length ?? 0) - keys.removed.length),
        ...secretListEdits([...base, index, 'clientTokens'], tokens.removed, tokens.added, upstream.clientTokens !== undefined, (upstream.clientTokens?.length ?? 0) - tokens.removed.length),
      ]
    }
    await change.run(edits, onClose)
  }

  const text = (field: string) => (draft[field] === undefined ? '' : String(draft[field]))
  return (
    <Dialog title={upstream === undefined ? `Add an upstream to ${routePath}` : `Upstream ${upstream.name ?? upstream.url ?? index + 1} of ${routePath}`} onClose={onClose} wide>
      <form onSubmit={(event) => void save(event)} class="form-grid">
        <SelectField label="Provider" value={String(draft['provider'] ?? 'openai')} onChange={(value) => set('provider')(value === 'openai' && upstream?.provider === undefined ? undefined : value)} options={providers.map((entry) => entry.name)} hint="The API it speaks; other than openai, requests and answers are translated." />
        <TextField label="Name" value={text('name')} onInput={set('name')} placeholder="shown in records and metrics" />
        <div class="span-2">
          <TextField label="URL" value={text('url')} onInput={set('url')} mono placeholder={provider?.defaultUrl ?? 'https://api.example.com'} required={provider?.defaultUrl === undefined} />
        </div>
        <SelectField label="Credentials" value={text('auth')} onChange={set('auth')} options={[{ value: '', label: 'key when keys are set (default)' }, { value: 'key', label: 'key: one of the keys below' }, { value: 'passthrough', label: "passthrough: the client's own" }, { value: 'none', label: 'none' }]} />
        <NumberField label="Weight" value={draft['weight'] as number | undefined} onInput={set('weight')} placeholder="1" min={0} step={0.1} hint="For the weighted strategy." />
        <TextField label="Timeout" value={text('timeout')} onInput={set('timeout')} placeholder="inherits the route's" />
        <TextField label="Stream timeout" value={text('streamTimeout')} onInput={set('streamTimeout')} placeholder="inherits" />
        <TextField label="Idle timeout" value={text('idleTimeout')} onInput={set('idleTimeout')} placeholder="inherits" />
        <div class="span-all">
          <SecretList label="API keys" saved={upstream?.keys} change={keys} onChange={setKeys} hint="Used round-robin. Saved keys are never shown again: only their last 4 characters, or the ${VAR} they come from." />
        </div>
        <LinesField label="Models allowed" value={models.allow} onInput={setModels('allow')} placeholder="every model" hint="One a line; a path such as /v1/embeddings works too." />
        <LinesField label="Models denied" value={models.deny} onInput={setModels('deny')} placeholder="none" />
        <MapField label="Model map" value={models.map} onInput={setModels('map')} placeholder="gpt-4o: claude-sonnet-4-5" hint="The client's model: this upstream's name for it." />
        <div class="span-all">
          <SecretList label="Client tokens of this upstream" saved={upstream?.clientTokens} change={tokens} onChange={setTokens} hint="Unset: the route's and the global ones." />
        </div>
        <MapField label="Extra headers" value={draft['headers'] as Record<string, string> | undefined} onInput={set('headers')} placeholder="OpenAI-Organization: org-…" hint="Values are secrets: saved ones show masked; leave a mask as it is to keep the value." />
        <CheckField label="Open to every client (noauth)" checked={draft['noauth'] === true} onChange={set('noauth')} />
        <CheckField label="Forward the client's headers" checked={draft['keepHeaders'] !== false} onChange={(checked) => set('keepHeaders')(checked ? undefined : false)} />
        <CheckField label="Ask streams for their usage" checked={draft['streamUsage'] !== false} onChange={(checked) => set('streamUsage')(checked ? undefined : false)} />
        {provider !== undefined && provider.fields.length > 0 && (
          <fieldset class="span-all provider-fields">
            <legend>{`${provider.name} settings`}</legend>
            <div class="form-grid">
              {provider.fields.map((field) => (
                <ProviderInput key={field.name} field={field} value={draft[field.name]} onChange={set(field.name)} />
              ))}
            </div>
          </fieldset>
        )}
        <DialogActions error={change.error} busy={change.busy} label={upstream === undefined ? 'Add upstream' : 'Save upstream'} onCancel={onClose} />
      </form>
    </Dialog>
  )
}
