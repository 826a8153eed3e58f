import type { TestContext } from 'node:test'
import { request } from 'undici'

/** One server-sent event as a browser's EventSource would see it; `data` parsed as JSON. */
export interface SseEvent {
  event: string
  id: string | undefined
  data: unknown
}

export interface SseReader {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** Every event so far, in order. */
  events: SseEvent[]
  /** Everything received, comments included (for leak checks). */
  text(): string
  /** The next event after those already taken that matches; the ones before it are passed over. */
  next(match?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
  close(): void
}

/**
 * Opens an event stream with undici and parses it as it comes (the SSE spec's field rules: `event`,
 * `id`, `data` lines, `:` comments, a blank line ends an event). Closed in t.after.
 */
export async function openEvents(t: TestContext, url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController()
  const answer = await request(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal })
  const events: SseEvent[] = []
  const checks = new Set<() => void>()
  let raw = ''
  let pending = ''
  let ended = false
  let taken = 0
  t.after(() => abort.abort())

  const parse = (block: string) => {
    let event = 'message'
    let id: string | undefined
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') event = value
      else if (field === 'id') id = value
      else if (field === 'data') data.push(value)
    }
    if (data.length > 0) events.push({ event, id, data: JSON.parse(data.join('\n')) as unknown })
  }

  void (async () => {
    try {
      for await (const chunk of answer.body) {
        const text = (chunk as Buffer).toString('utf8')
        raw += text
        pending += text
        let end: number
        while ((end = pending.indexOf('\n\n')) !== -1) {
          parse(pending.slice(0, end))
          pending = pending.slice(end + 2)
        }
        for (const check of checks) check()
      }
    } catch {
      // Aborted by the test or cut by the server's shutdown: the stream has ended either way.
    }
    ended = true
    for (const check of checks) check()
  })()

  const next = (match: (event: SseEvent) => boolean = () => true, timeoutMs = 15_000) =>
    new Promise<SseEvent>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const done = () => {
        clearTimeout(timer)
        checks.delete(check)
      }
      function check(): void {
        while (taken < events.length) {
          const event = events[taken++]!
          if (match(event)) {
            done()
            resolve(event)
            return
          }
        }
        if (ended) {
          done()
          reject(new Error(`the stream ended without the event (got ${events.map((event) => event.event).join(', ')})`))
        }
      }
      timer = setTimeout(() => {
        done()
        reject(new Error(`no such event within ${timeoutMs} ms (the last ones: ${events.slice(-5).map((event) => `${event.event} ${JSON.stringify(event.data).slice(0, 200)}`).join(' | ')})`))
      }, timeoutMs)
      checks.add(check)
      check()
    })

  return { status: answer.statusCode, headers: answer.headers, events, text: () => raw, next, close: () => abort.abort() }
}
