import { createServer, type IncomingMessage } from 'node:http'
import { AbortCounter } from './abort-counter.js'
import { defaultBehaviour, validateBehaviour } from './behaviour.js'
import { Exchange } from './exchange.js'
import { createMockApis } from './apis.js'
import { handle } from './handle.js'
import type { MockBehaviour, MockRequest, MockUpstream, MockUpstreamOptions } from './types.js'

// Longer than the usual client keep-alive (undici: 4 s, gateways: up to 60 s), so the mock is
// never the side that closes an idle pooled connection under a benchmark; headers timeout above
// keep-alive timeout, as Node's docs advise, to avoid racing the two.
const KEEP_ALIVE_TIMEOUT_MS = 65_000
const HEADERS_TIMEOUT_MS = 66_000
const EMPTY = Buffer.alloc(0)
const DEFAULT_ABORT_WAIT_MS = 5_000

/** Starts the mock upstream on `host:port` (default 127.0.0.1, a free port). */
export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const host = options.host ?? '127.0.0.1'
  const record = options.record ?? true
  const startBehaviour: MockBehaviour = { ...defaultBehaviour, ...validateBehaviour(options.behaviour ?? {}, 'behaviour') }
  let behaviour = startBehaviour
  const requests: MockRequest[] = []
  const aborts = new AbortCounter()
  let nextId = 0
  let closing = false
  const apis = createMockApis()

  const server = createServer(
    // requestTimeout 0: slow uploads and long tests are the client's business, not the mock's.
    { noDelay: true, keepAlive: true, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 0 },
    (req, res) => {
      const id = ++nextId
      const entry: MockRequest | undefined = record
        ? { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: EMPTY, aborted: false, receivedAt: performance.now() }
        : undefined
      if (entry !== undefined) requests.push(entry)
      const ex = new Exchange(id, req, res)

      res.on('close', () => {
        ex.markClosed()
        if (res.writableFinished || ex.destroyedByMock || closing) return
        if (entry !== undefined) entry.aborted = true
        aborts.record()
      })
      // A client leaving mid-request makes these streams emit errors (aborted, EPIPE); that is
      // the abort recorded above, not a failure of the mock, so they are swallowed on purpose.
      req.on('error', ignore)
      res.on('error', ignore)

      readBody(req, (body) => {
        if (entry !== undefined) entry.body = body
        if (!ex.closed) handle(ex, body, behaviour, apis)
      })
    },
  )
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('The mock upstream is not listening on TCP.')

  let closed: Promise<void> | undefined
  return {
    url: `http://${urlHost(host)}:${address.port}`,
    port: address.port,
    requests,
    setBehaviour(next) {
      behaviour = { ...behaviour, ...validateBehaviour(next, 'setBehaviour') }
    },
    reset() {
      requests.length = 0
      aborts.reset()
      behaviour = startBehaviour
    },
    aborted: () => aborts.total,
    waitForAbort: (timeoutMs = DEFAULT_ABORT_WAIT_MS) => aborts.wait(timeoutMs),
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        // Hanging and streaming answers would otherwise keep close() waiting forever.
        server.closeAllConnections()
      })
      return closed
    },
  }
}

function ignore(): void {}

function readBody(req: IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => done(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks)))
}

/** A wildcard address is reachable on loopback; IPv6 literals need brackets in a URL. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
