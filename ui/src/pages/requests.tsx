import { useEffect, useState } from 'preact/hooks'
import { SelectField, TextField } from '../components/field'
import { Empty, ErrorNotice, Notice } from '../components/notice'
import { get, query } from '../lib/api'
import { count, duration, statusTone, when } from '../lib/format'
import { setTail, tailGap, tailListeners, type RequestRow } from '../lib/live'
import { location, navigate } from '../lib/router'
import { RequestDetail } from './request-detail'

interface Filters {
  since: string
  until: string
  route: string
  model: string
  upstream: string
  client: string
  status: string
  cache: string
  id: string
}

const blank: Filters = { since: '', until: '', route: '', model: '', upstream: '', client: '', status: '', cache: '', id: '' }
const fromParams = (params: URLSearchParams): Filters => Object.fromEntries(Object.keys(blank).map((key) => [key, params.get(key) ?? ''])) as unknown as Filters

/** The API's query for these filters: times as epoch ms, the rest as typed. */
function apiQuery(filters: Filters): Record<string, string | number | undefined> {
  const epoch = (local: string) => (local === '' ? undefined : new Date(local).getTime())
  return { ...filters, since: epoch(filters.since), until: epoch(filters.until) }
}

/** A row matches the filters when the list would have shown it (for rows the live tail brings). */
function matches(row: RequestRow, filters: Filters): boolean {
  if (filters.until !== '') return false
  const status = filters.status
  if (status !== '' && !(status === 'error' ? (row.status ?? 0) >= 400 : status.endsWith('xx') ? String(row.status ?? '').startsWith(status[0]!) : String(row.status) === status)) return false
  return (
    (filters.route === '' || row.route === filters.route) &&
    (filters.model === '' || row.model === filters.model) &&
    (filters.upstream === '' || row.upstream === filters.upstream) &&
    (filters.client === '' || row.clientId === filters.client) &&
    (filters.cache === '' || row.cache === filters.cache) &&
    (filters.id === '' || row.id.startsWith(filters.id))
  )
}

/**
 * Requests (issue 15 point 4): the records newest first, filtered on the server, in keyset pages; a
 * live tail adds new ones as they are written; a row opens the request in full.
 */
export function RequestsPage() {
  const params = location.value.params
  const filters = fromParams(params)
  const [draft, setDraft] = useState<Filters>(filters)
  const [rows, setRows] = useState<RequestRow[]>([])
  const [next, setNext] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(undefined)
  const [loading, setLoading] = useState(true)
  const [off, setOff] = useState(false)
  const [live, setLive] = useState(params.get('live') !== 'off')
  const key = params.toString()
  const selected = location.value.rest[0]

  useEffect(() => {
    setDraft(filters)
    setLoading(true)
    get<{ records: RequestRow[]; next: string | null; recordsOff: boolean }>(`/admin/api/requests${query(apiQuery(filters))}`)
      .then((page) => {
        setRows(page.records)
        setNext(page.next)
        setOff(page.recordsOff)
        setError(undefined)
      })
      .catch(setError)
      .finally(() => setLoading(false))
  }, [key])

  useEffect(() => {
    if (!live || filters.until !== '') {
      setTail(undefined)
      return
    }
    const listener = (row: RequestRow) => {
      if (matches(row, filters)) setRows((current) => (current.some((seen) => seen.seq === row.seq) ? current : [row, ...current]))
    }
    tailListeners.add(listener)
    setTail(query(apiQuery({ ...filters, since: '' })).slice(1))
    return () => {
      tailListeners.delete(listener)
      setTail(undefined)
    }
  }, [key, live])

  const apply = (event: Event) => {
    event.preventDefault()
    const values = Object.fromEntries(Object.entries(draft).filter(([, value]) => value !== ''))
    navigate(`requests${query(live ? values : { ...values, live: 'off' })}`)
  }
  const more = async () => {
    if (next === null) return
    try {
      const page = await get<{ records: RequestRow[]; next: string | null }>(`/admin/api/requests${query({ ...apiQuery(filters), before: next })}`)
      setRows((current) => [...current, ...page.records])
      setNext(page.next)
    } catch (failure) {
      setError(failure)
    }
  }
  const set = (field: keyof Filters) => (value: string) => setDraft({ ...draft, [field]: value })

  return (
    <section aria-labelledby="requests-title">
      <div class="page-head">
        <h1 id="requests-title">Requests</h1>
        <label class="toggle">
          <input type="checkbox" checked={live} onChange={(event) => setLive(event.currentTarget.checked)} /> Live tail
        </label>
      </div>
      <form class="filters card" onSubmit={apply} aria-label="Filters">
        <TextField label="From" type="datetime-local" value={draft.since} onInput={set('since')} />
        <TextField label="To" type="datetime-local" value={draft.until} onInput={set('until')} />
        <TextField label="Route" value={draft.route} onInput={set('route')} placeholder="/" />
        <TextField label="Model" value={draft.model} onInput={set('model')} />
        <TextField label="Upstream" value={draft.upstream} onInput={set('upstream')} />
        <TextField label="Client" value={draft.client} onInput={set('client')} placeholder="key id" />
        <SelectField
          label="Status"
          value={draft.status}
          onChange={set('status')}
          options={[
            { value: '', label: 'any' },
            { value: '2xx', label: '2xx success' },
            { value: '4xx', label: '4xx refused' },
            { value: '5xx', label: '5xx failed' },
            { value: 'error', label: 'any error' },
          ]}
        />
        <SelectField label="Cache" value={draft.cache} onChange={set('cache')} options={[{ value: '', label: 'any' }, 'HIT', 'MISS', 'BYPASS']} />
        <TextField label="Request id" value={draft.id} onInput={set('id')} placeholder="starts with" mono />
        <div class="filter-actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button type="button" class="ghost" onClick={() => navigate('requests')}>
            Clear
          </button>
        </div>
      </form>
      <ErrorNotice error={error} />
      {off && <Notice tone="info">Records are off (<code>records.backend: none</code>): there are no requests to show.</Notice>}
      {tailGap.value && live && <Notice tone="warn">More requests arrived than the live tail shows at once: apply the filters again to see them all.</Notice>}
      <div class="table-wrap">
        <table class="data" aria-label="Requests, newest first" aria-busy={loading}>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Request id</th>
              <th scope="col">Route</th>
              <th scope="col">Model</th>
              <th scope="col">Upstream</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">First byte</th>
              <th scope="col" class="num">Total</th>
              <th scope="col" class="num">Tokens</th>
              <th scope="col">Cache</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.seq} class={String(row.seq) === selected ? 'selected' : undefined}>
                <td class="nowrap">{when(row.time)}</td>
                <td>
                  <a class="mono" href={`#/requests/${row.seq}${key === '' ? '' : `?${key}`}`} aria-label={`Request ${row.id}`}>
                    {row.id.length > 18 ? `${row.id.slice(0, 18)}…` : row.id}
                  </a>
                </td>
                <td class="mono">{row.route ?? '–'}</td>
                <td>{row.model ?? '–'}</td>
                <td>{row.upstream ?? '–'}</td>
                <td>
                  <span class={`pill ${statusTone(row.status)}`}>{row.status ?? '–'}</span>
                </td>
                <td class="num">{duration(row.firstByteMs)}</td>
                <td class="num">{duration(row.totalMs)}</td>
                <td class="num">{count(row.totalTokens)}</td>
                <td>{row.cache ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && rows.length === 0 && !off && <Empty>No request matches these filters yet.</Empty>}
      {next !== null && (
        <button type="button" class="ghost wide" onClick={() => void more()}>
          Older requests
        </button>
      )}
      {selected !== undefined && <RequestDetail seq={Number(selected)} onClose={() => navigate(`requests${key === '' ? '' : `?${key}`}`)} />}
    </section>
  )
}
