import { useState } from 'preact/hooks'
import { Dialog } from '../components/dialog'
import { LinesField, NumberField, TextField } from '../components/field'
import { FormCard, SaveBar } from '../components/form-card'
import { ErrorNotice, Notice } from '../components/notice'
import { noSecretChange, SecretList } from '../components/secret-list'
import { config } from '../lib/config'
import { secretListEdits, type Edit } from '../lib/edits'
import { isAdmin } from '../lib/session'
import { useChange } from '../lib/use-change'
import { ReadOnlyNotice } from './read-only'

/** A new forward key: 32 random characters from the browser's CSPRNG, shown once. */
function newForwardKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return `fk-${Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('')}`
}

/** Access (issue 15 point 5): client tokens, forward keys and their levels, IP lists. */
export function AccessPage() {
  const loaded = config.value
  const access = loaded?.document.access
  const disabled = !isAdmin() || loaded?.readOnly !== null
  return (
    <section aria-labelledby="access-title">
      <div class="page-head">
        <h1 id="access-title">Access</h1>
      </div>
      <p class="lead">Who may use the gateway: client tokens, forward keys that stand in for the real API keys (by level), and address lists.</p>
      <ReadOnlyNotice />
      <ClientTokens saved={access?.clientTokens} disabled={disabled} />
      <ForwardKeys disabled={disabled} />
      <Levels disabled={disabled} />
      <IpLists key={JSON.stringify(access?.ip ?? {})} allow={access?.ip?.allow} deny={access?.ip?.deny} disabled={disabled} />
    </section>
  )
}

function ClientTokens({ saved, disabled }: { saved: string[] | undefined; disabled: boolean }) {
  const [tokens, setTokens] = useState(noSecretChange())
  const change = useChange()
  const edits = secretListEdits(['access', 'clientTokens'], tokens.removed, tokens.added, saved !== undefined, (saved?.length ?? 0) - tokens.removed.length)
  return (
    <FormCard id="client-tokens" title="Client tokens" onSubmit={() => void change.run(edits, () => setTokens(noSecretChange()))}>
      <fieldset disabled={disabled}>
        <SecretList label="Tokens" saved={saved} change={tokens} onChange={setTokens} hint="Accepted on every route whose upstreams do not name their own. None: clients need no token (unless a route says otherwise)." />
      </fieldset>
      <SaveBar error={change.error} busy={change.busy} changed={edits.length > 0} label="Save client tokens" hidden={disabled} />
    </FormCard>
  )
}

function ForwardKeys({ disabled }: { disabled: boolean }) {
  const keys = config.value?.document.access?.forwardKeys ?? []
  const [adding, setAdding] = useState(false)
  const change = useChange()
  return (
    <div class="card section" role="group" aria-labelledby="forward-keys">
      <h2 id="forward-keys">Forward keys</h2>
      <p class="hint">A client presents a forward key; the gateway sends a real key of the key's level instead (OpenAI-Forward's "API Key &amp;&amp; Level").</p>
      <table class="data compact">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Level</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key, index) => (
            <tr key={index}>
              <td>{key.name ?? '–'}</td>
              <td class="mono">{key.key}</td>
              <td>{key.level}</td>
              <td>
                {!disabled && (
                  <button type="button" class="link danger" aria-label={`Revoke forward key ${key.name ?? key.key}`} onClick={() => window.confirm('Revoke this forward key? Clients using it are refused from the next request.') && void change.run([{ op: 'delete', path: ['access', 'forwardKeys', index] }])}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {keys.length === 0 && <p class="empty">No forward keys.</p>}
      <ErrorNotice error={change.error} />
      {!disabled && (
        <div class="actions">
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            New forward key
          </button>
        </div>
      )}
      {adding && <NewForwardKey onClose={() => setAdding(false)} />}
    </div>
  )
}

function NewForwardKey({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('')
  const [level, setLevel] = useState<number | undefined>(1)
  const [key] = useState(newForwardKey)
  const [saved, setSaved] = useState(false)
  const change = useChange()
  const save = async (event: Event) => {
    event.preventDefault()
    const value = { key, level: level ?? 0, ...(name !== '' && { name }) }
    await change.run([{ op: 'append', path: ['access', 'forwardKeys'], value }], () => setSaved(true))
  }
  return (
    <Dialog title="New forward key" onClose={onClose}>
      {saved ? (
        <>
          <Notice tone="ok">Saved. Copy the key now: it is never shown again.</Notice>
          <TextField label="Forward key" value={key} onInput={() => undefined} readOnly mono />
          <div class="actions">
            <button type="button" class="ghost" onClick={() => void navigator.clipboard?.writeText(key)}>
              Copy
            </button>
            <button type="button" class="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={(event) => void save(event)}>
          <TextField label="Name" value={name} onInput={setName} placeholder="who it is for" />
          <NumberField label="Level" value={level} onInput={setLevel} min={0} hint="Its level decides which real keys it uses and which models it may ask for." />
          <ErrorNotice error={change.error} />
          <div class="actions">
            <button type="button" class="ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={change.busy}>
              Create key
            </button>
          </div>
        </form>
      )}
    </Dialog>
  )
}

function Levels({ disabled }: { disabled: boolean }) {
  const levels = config.value?.document.access?.levels ?? []
  const [changes, setChanges] = useState<Record<number, { models?: string[]; keys: ReturnType<typeof noSecretChange> }>>({})
  const [newLevel, setNewLevel] = useState<number | undefined>(undefined)
  const change = useChange()
  const edits: Edit[] = []
  levels.forEach((level, index) => {
    const changed = changes[index]
    if (changed === undefined) return
    if (changed.models !== undefined && JSON.stringify(changed.models) !== JSON.stringify(level.models ?? [])) {
      edits.push(changed.models.length === 0 ? { op: 'delete', path: ['access', 'levels', index, 'models'] } : { op: 'set', path: ['access', 'levels', index, 'models'], value: changed.models })
    }
    edits.push(...secretListEdits(['access', 'levels', index, 'keys'], changed.keys.removed, changed.keys.added, level.keys !== undefined, (level.keys?.length ?? 0) - changed.keys.removed.length))
  })
  const changeOf = (index: number) => changes[index] ?? { keys: noSecretChange() }
  return (
    <FormCard id="levels" title="Levels" description="Each level's real keys (used round-robin on upstreams without keys of their own) and the models it may use; level 0 may use any model." onSubmit={() => void change.run(edits, () => setChanges({}))}>
      <fieldset disabled={disabled}>
        {levels.map((level, index) => (
          <div class="level" key={index}>
            <h3>Level {level.level}</h3>
            <div class="form-grid">
              <LinesField label={`Models of level ${level.level}`} value={changeOf(index).models ?? level.models} onInput={(models) => setChanges({ ...changes, [index]: { ...changeOf(index), models } })} placeholder="any" />
              <SecretList label={`Keys of level ${level.level}`} saved={level.keys} change={changeOf(index).keys} onChange={(keys) => setChanges({ ...changes, [index]: { ...changeOf(index), keys } })} />
            </div>
          </div>
        ))}
        {levels.length === 0 && <p class="empty">No levels.</p>}
      </fieldset>
      <SaveBar
        error={change.error}
        busy={change.busy}
        changed={edits.length > 0}
        label="Save levels"
        hidden={disabled}
        before={
          <>
            <NumberField label="New level" value={newLevel} onInput={setNewLevel} min={0} />
            <button type="button" class="ghost" disabled={newLevel === undefined} onClick={() => void change.run([{ op: 'append', path: ['access', 'levels'], value: { level: newLevel } }], () => setNewLevel(undefined))}>
              Add level
            </button>
            <span class="spacer" />
          </>
        }
      />
    </FormCard>
  )
}

function IpLists({ allow, deny, disabled }: { allow: string[] | undefined; deny: string[] | undefined; disabled: boolean }) {
  const [allowed, setAllowed] = useState(allow ?? [])
  const [denied, setDenied] = useState(deny ?? [])
  const change = useChange()
  const edits: Edit[] = []
  const list = (name: 'allow' | 'deny', before: string[] | undefined, after: string[]) => {
    if (JSON.stringify(before ?? []) === JSON.stringify(after)) return
    edits.push(after.length === 0 ? { op: 'delete', path: ['access', 'ip', name] } : { op: 'set', path: ['access', 'ip', name], value: after })
  }
  list('allow', allow, allowed)
  list('deny', deny, denied)
  return (
    <FormCard id="ip-lists" title="Client addresses" onSubmit={() => void change.run(edits)}>
      <fieldset class="form-grid" disabled={disabled}>
        <LinesField label="Allowed addresses" value={allowed} onInput={setAllowed} placeholder="everyone" hint="Addresses or CIDR ranges, one a line; set: only these may connect." rows={4} />
        <LinesField label="Denied addresses" value={denied} onInput={setDenied} placeholder="nobody" hint="Refused with 403, whatever the allow list says." rows={4} />
      </fieldset>
      <SaveBar error={change.error} busy={change.busy} changed={edits.length > 0} label="Save address lists" hidden={disabled} />
    </FormCard>
  )
}
