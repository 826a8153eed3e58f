import type { HistorySample, RequestRow, StatsEvent } from '../../../src/admin/wire'
import { signal } from '@preact/signals'
import { changedElsewhere, config } from './config'

/**
 * One sample of the Overview's numbers, as GET /admin/api/events sends them each second (docs/ui.md).
 * The history a new stream starts with holds the charts' numbers only: no totals or upstreams.
 */
export type StatsSample = HistorySample & Partial<Pick<StatsEvent, 'totals' | 'upstreams'>>
export type { RequestRow }

export const connection = signal<'connecting' | 'live' | 'down'>('connecting')
export const samples = signal<StatsSample[]>([])
/** New records from the live tail, for the Requests page while it listens. */
export const tailListeners = new Set<(row: RequestRow) => void>()
/** Set when the server skipped events this tab was too slow for, or more arrived than it sends at once. */
export const tailGap = signal(false)

const keep = 300
let source: EventSource | undefined
let tail: string | undefined

/**
 * The one server-sent-events stream of this tab: the Overview's numbers each second, new requests
 * for the live tail (with the Requests page's filters), and config changes. EventSource reconnects
 * by itself and resumes the tail from the last event id.
 */
export function startLive(): void {
  source?.close()
  const params = new URLSearchParams(tail ?? '')
  params.set('topics', tail === undefined ? 'stats,config' : 'stats,config,requests')
  connection.value = 'connecting'
  const events = new EventSource(`/admin/api/events?${params.toString()}`)
  source = events
  events.onopen = () => (connection.value = 'live')
  events.onerror = () => (connection.value = events.readyState === EventSource.CLOSED ? 'down' : 'connecting')
  events.addEventListener('history', (event) => {
    samples.value = (JSON.parse((event as MessageEvent<string>).data) as { samples: StatsSample[] }).samples.slice(-keep)
  })
  events.addEventListener('stats', (event) => {
    const sample = JSON.parse((event as MessageEvent<string>).data) as StatsSample
    const next = samples.value.length >= keep ? samples.value.slice(1) : samples.value.slice()
    next.push(sample)
    samples.value = next
  })
  events.addEventListener('request', (event) => {
    const row = JSON.parse((event as MessageEvent<string>).data) as RequestRow
    for (const listener of tailListeners) listener(row)
  })
  events.addEventListener('gap', () => (tailGap.value = true))
  events.addEventListener('config', (event) => {
    const { etag } = JSON.parse((event as MessageEvent<string>).data) as { etag?: string | null }
    if (etag !== undefined && etag !== null && etag !== config.value?.etag) changedElsewhere.value = etag
  })
}

export function stopLive(): void {
  source?.close()
  source = undefined
  connection.value = 'down'
}

/** Asks for new requests matching these filters (a query string), or for none: the stream is opened again with them. */
export function setTail(filters: string | undefined): void {
  if (filters === tail) return
  tail = filters
  tailGap.value = false
  if (source !== undefined) startLive()
}
