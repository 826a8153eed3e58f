import { setTimeout as sleep } from 'node:timers/promises'
import type { RequestRecord } from '../records/record.js'
import type { RecordQuery, RecordStore } from '../storage/types.js'
import { LogTable } from './log-table.js'
import { baseQuery, openRecords, type RecordsFlags } from './records-flags.js'

export interface LogsFlags extends RecordsFlags {
  status?: string
  model?: string
  client?: string
  limit: string
  json?: boolean
  follow?: boolean
}

const pollMs = 1000

/**
 * How far back each `--follow` poll looks. A record is written when its request ends (plus up to two
 * flush intervals when a batch is retried) but carries the time the request arrived, so a long
 * stream lands behind records already shown; a window, not "after the newest seen", catches it.
 * Requests longer than this are left to a later plain `logs`.
 */
const followWindowMs = 5 * 60_000

function parseStatus(text: string): number | 'error' {
  if (text.toLowerCase() === 'error') return 'error'
  const status = Number(text)
  if (!/^\d{3}$/.test(text) || status < 100 || status > 599) throw new Error(`--status: expected an HTTP status such as 502, or error for every status >= 400 (got ${JSON.stringify(text)})`)
  return status
}

function parseLimit(text: string): number {
  const limit = Number(text)
  if (!/^\d+$/.test(text) || limit < 1 || !Number.isSafeInteger(limit)) throw new Error(`--limit: expected a positive whole number (got ${JSON.stringify(text)})`)
  return limit
}

/** Records of the same request id and arrival ms are one record (the same row read by two polls). */
const recordKey = (record: RequestRecord): string => `${record.time}\u0000${record.id}`

/**
 * Lists the newest records, oldest of them first and the newest last: next to the prompt, as
 * `tail` does, and where `--follow` goes on appending.
 */
export async function logsCommand(flags: LogsFlags): Promise<void> {
  const query: RecordQuery = {
    ...baseQuery(flags),
    ...(flags.status !== undefined && { status: parseStatus(flags.status) }),
    ...(flags.model !== undefined && { model: flags.model }),
    ...(flags.client !== undefined && { client: flags.client }),
  }
  const limit = parseLimit(flags.limit)
  const { store, config } = openRecords(flags)
  const windowMs = followWindowMs + 2 * config.records.flushInterval
  try {
    const write = (line: string) => void process.stdout.write(`${line}\n`)
    const table = flags.json === true ? undefined : new LogTable(write)
    const print = (record: RequestRecord) => (table === undefined ? write(JSON.stringify(record)) : table.add(record))
    // Taken before the listing: a record written in between is either listed or shown by the first poll.
    const seen = flags.follow === true ? await recordsInWindow(store, query, windowMs) : undefined
    const newest = (await store.query({ ...query, limit })).reverse()
    if (table !== undefined) table.start(newest)
    else newest.forEach(print)
    if (table !== undefined && newest.length === 0 && flags.follow !== true) console.error('logs: no records match')
    if (seen !== undefined) {
      for (const record of newest) seen.set(recordKey(record), record.time)
      await follow(store, query, seen, windowMs, print)
    }
  } finally {
    await store.close()
  }
}

async function recordsInWindow(store: RecordStore, query: RecordQuery, windowMs: number): Promise<Map<string, number>> {
  const records = await store.query({ ...query, afterTime: Date.now() - windowMs })
  return new Map(records.map((record) => [recordKey(record), record.time]))
}

/** Polls every second and prints records not seen before, until SIGINT or SIGTERM. */
async function follow(store: RecordStore, query: RecordQuery, seen: Map<string, number>, windowMs: number, print: (record: RequestRecord) => void): Promise<void> {
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    while (!stop.signal.aborted) {
      await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => undefined)
      if (stop.signal.aborted) break
      const after = Date.now() - windowMs
      // `afterTime` keeps each poll to the window; several records of one ms may come in different
      // batches, so the window is re-read and the seen keys, not a time cursor, decide what is new.
      const fresh = (await store.query({ ...query, afterTime: after })).reverse()
      for (const record of fresh) {
        const key = recordKey(record)
        if (seen.has(key)) continue
        seen.set(key, record.time)
        print(record)
      }
      // Keys that left the window can no longer come back from a query: forget them.
      for (const [key, time] of seen) if (time <= after) seen.delete(key)
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
