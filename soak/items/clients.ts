import { connect, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { percentile, runLoad } from '../../bench/load.js'
import { chatPath, mb, metric, plainBody, Resources, rssMb, startGateway, startMock, streamBody, waitFor, type SoakGateway } from '../harness.js'
import type { SoakFigure, SoakItem } from '../types.js'
import type { MockUpstream } from '../../src/mock-upstream/index.js'

/**
 * Issue 18 point 4: clients that misbehave. One that leaves at any stage cancels its upstream call
 * within a second; slow-header and slow-body clients are cut in bounded time and do not slow the
 * others; thousands of idle keep-alive connections are held without harm; a flood of bodies over
 * the limit is refused without being buffered.
 */
export const clients: SoakItem = {
  name: 'clients',
  async run(scale, log, resources) {
    const full = scale === 'full'
    const headersTimeoutMs = full ? 10_000 : 2000
    const requestTimeoutMs = full ? 20_000 : 4000
    const mock = await startMock(resources)
    const gateway = await startGateway(resources, {
      server: { headersTimeout: `${headersTimeoutMs}ms`, requestTimeout: `${requestTimeoutMs}ms`, bodyLimit: '1mb' },
      routes: [{ path: '/', upstreams: [{ url: mock.url }] }],
    })
    const figures: SoakFigure[] = []
    figures.push(...(await disconnects(gateway, mock, log)))
    figures.push(...(await slowClients(resources, gateway, full ? 1000 : 200, headersTimeoutMs, requestTimeoutMs, log)))
    figures.push(await idleConnections(resources, gateway, full ? 10_000 : 1000, full ? 60_000 : 3000, log))
    figures.push(await bodyFlood(gateway, full ? 200 : 40, log))
    return figures
  },
}

async function disconnects(gateway: SoakGateway, mock: MockUpstream, log: (line: string) => void): Promise<SoakFigure[]> {
  const figures: SoakFigure[] = []
  // Before the body ends: the gateway is still reading it, so no upstream call may be made at all.
  mock.reset()
  const socket = await open(gateway.port)
  socket.write(`POST ${chatPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"model":"gpt-4o-mini","messages":[`)
  await waitFor(async () => (await metric(gateway, 'llm_relay_requests_in_flight')) === 1, 5000)
  const leftAt = Date.now()
  socket.destroy()
  const settled = await waitFor(async () => (await metric(gateway, 'llm_relay_requests_in_flight')) === 0, 5000)
  figures.push({
    item: 'client leaves before its body ends',
    figure: settled ? `no upstream call; done in ${Date.now() - leftAt} ms` : 'still in flight',
    bound: 'no upstream call, done < 1000 ms',
    ok: settled && Date.now() - leftAt < 1000 && mock.requests.length === 0,
  })
  // While waiting for the upstream's headers, and in the middle of a stream.
  for (const [stage, body, headers] of [
    ['while waiting for the upstream headers', plainBody, { 'x-mock-headers-delay-ms': '10000' }],
    ['in the middle of a stream', streamBody(200, 50), {}],
  ] as const) {
    mock.reset()
    const controller = new AbortController()
    let leftAt = 0
    const leave = () => {
      leftAt = Date.now()
      controller.abort()
    }
    const answer = request(`${gateway.url}${chatPath}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: controller.signal }).then(async (response) => {
      // The first chunk of the stream has come: leave.
      for await (const _chunk of response.body) leave()
    })
    answer.catch(() => undefined)
    await waitFor(() => mock.requests.length === 1, 5000)
    if (stage === 'in the middle of a stream') await answer.catch(() => undefined)
    else leave()
    const canceled = await waitFor(() => mock.aborted() === 1, 5000)
    const took = Date.now() - leftAt
    log(`clients: left ${stage}: upstream call canceled after ${took} ms`)
    figures.push({ item: `client leaves ${stage}`, figure: canceled ? `upstream canceled in ${took} ms` : 'not canceled', bound: '< 1000 ms', ok: canceled && took < 1000 })
  }
  return figures
}

async function slowClients(resources: Resources, gateway: SoakGateway, count: number, headersTimeoutMs: number, requestTimeoutMs: number, log: (line: string) => void): Promise<SoakFigure[]> {
  const baseline = await activeLatency(gateway, 2000)
  // Slowloris: a header line every 500 ms, never the blank line; slow bodies: 10 bytes every 500 ms.
  const slowHeaders = await Promise.all(Array.from({ length: count }, () => open(gateway.port)))
  const slowBodies = await Promise.all(Array.from({ length: Math.ceil(count / 2) }, () => open(gateway.port)))
  const openedAt = Date.now()
  const closedAt = new Map<Socket, number>()
  for (const socket of [...slowHeaders, ...slowBodies]) socket.once('close', () => closedAt.set(socket, Date.now() - openedAt))
  for (const socket of slowHeaders) socket.write(`POST ${chatPath} HTTP/1.1\r\nHost: x\r\n`)
  for (const socket of slowBodies) socket.write(`POST ${chatPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`)
  let line = 0
  const dribble = setInterval(() => {
    line++
    for (const socket of slowHeaders) if (!socket.destroyed) socket.write(`X-Slow-${line}: ${line}\r\n`)
    for (const socket of slowBodies) if (!socket.destroyed) socket.write('          ')
  }, 500)
  resources.add(() => clearInterval(dribble))
  const during = await activeLatency(gateway, 1500)
  await waitFor(() => closedAt.size === slowHeaders.length + slowBodies.length, requestTimeoutMs + 10_000)
  clearInterval(dribble)
  const headerCut = Math.max(...slowHeaders.map((socket) => closedAt.get(socket) ?? Number.POSITIVE_INFINITY))
  const bodyCut = Math.max(...slowBodies.map((socket) => closedAt.get(socket) ?? Number.POSITIVE_INFINITY))
  log(`clients: active p50 ${baseline.toFixed(2)} ms alone, ${during.toFixed(2)} ms beside ${count} slow-header and ${slowBodies.length} slow-body clients; cut after ${headerCut} / ${bodyCut} ms`)
  return [
    {
      item: `active requests beside ${count} slowloris and ${slowBodies.length} slow-body clients`,
      figure: `p50 ${during.toFixed(2)} ms (alone ${baseline.toFixed(2)} ms)`,
      bound: 'p50 < 3x alone + 5 ms',
      ok: during < baseline * 3 + 5,
    },
    {
      item: 'slow-header (slowloris) clients cut',
      figure: Number.isFinite(headerCut) ? `all within ${headerCut} ms` : 'not all cut',
      bound: `server.headersTimeout (${headersTimeoutMs} ms) + 3 s`,
      ok: headerCut <= headersTimeoutMs + 3000,
    },
    {
      item: 'slow-body clients cut',
      figure: Number.isFinite(bodyCut) ? `all within ${bodyCut} ms` : 'not all cut',
      bound: `server.requestTimeout (${requestTimeoutMs} ms) + 3 s`,
      ok: bodyCut <= requestTimeoutMs + 3000,
    },
  ]
}

async function idleConnections(resources: Resources, gateway: SoakGateway, count: number, holdMs: number, log: (line: string) => void): Promise<SoakFigure> {
  const baseline = await activeLatency(gateway, 2000)
  const rssBefore = rssMb(gateway.pid)
  // Each connection asks once (so it is a kept-alive connection, not a silent one), then idles.
  const sockets: Socket[] = []
  resources.add(() => sockets.forEach((socket) => socket.destroy()))
  for (let start = 0; start < count; start += 500) {
    const batch = await Promise.all(Array.from({ length: Math.min(500, count - start) }, () => open(gateway.port)))
    await Promise.all(
      batch.map(
        (socket) =>
          new Promise<void>((resolve) => {
            socket.once('data', () => resolve())
            socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
          }),
      ),
    )
    sockets.push(...batch)
  }
  const opened = sockets.filter((socket) => !socket.destroyed).length
  await new Promise((resolve) => setTimeout(resolve, holdMs))
  const during = await activeLatency(gateway, 2000)
  const held = sockets.filter((socket) => !socket.destroyed).length
  const rss = rssMb(gateway.pid)
  log(`clients: ${opened} idle keep-alive connections, ${held} still open after ${holdMs / 1000} s; active p50 ${baseline.toFixed(2)} → ${during.toFixed(2)} ms; RSS ${mb(rss - rssBefore)}`)
  return {
    item: `${count.toLocaleString('en')} idle keep-alive connections held ${holdMs / 1000} s`,
    figure: `${held.toLocaleString('en')} held; active p50 ${during.toFixed(2)} ms (alone ${baseline.toFixed(2)})`,
    bound: 'all held, p50 < 3x alone + 5 ms',
    ok: held >= count && during < baseline * 3 + 5,
    detail: `gateway RSS ${mb(rss - rssBefore)}`,
  }
}

async function bodyFlood(gateway: SoakGateway, count: number, log: (line: string) => void): Promise<SoakFigure> {
  const rssBefore = rssMb(gateway.pid)
  let peak = rssBefore
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid))), 100)
  const chunk = Buffer.alloc(64 * 1024, 0x61)
  const statuses = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      // Half declare their 20 MB, half send it chunked (counted as it comes).
      const declared = index % 2 === 0
      const body = Readable.from(
        (function* () {
          for (let sent = 0; sent < 20 * 1024 * 1024; sent += chunk.length) yield chunk
        })(),
      )
      try {
        const answer = await request(`${gateway.url}${chatPath}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(declared && { 'content-length': String(20 * 1024 * 1024) }) }, body })
        await answer.body.dump()
        return answer.statusCode
      } catch {
        // the gateway may cut the upload once it has answered
        return 413
      }
    }),
  )
  clearInterval(sampler)
  const refused = statuses.filter((status) => status === 413).length
  log(`clients: ${count} bodies of 20 MB over a 1 MB limit: ${refused} refused; RSS peak ${mb(peak - rssBefore)}`)
  return {
    item: `${count} requests of 20 MB over a 1 MB body limit`,
    figure: `${refused} refused (413), RSS peak ${mb(peak - rssBefore)}`,
    bound: 'all refused, RSS peak < +64 MB',
    ok: refused === count && peak - rssBefore < 64,
  }
}

/** p50 of plain requests at c=8 for `ms`. */
async function activeLatency(gateway: SoakGateway, ms: number): Promise<number> {
  const result = await runLoad({ url: gateway.url, path: chatPath, body: plainBody, concurrency: 8, maxRequests: Infinity, maxMs: ms })
  return percentile(result.latencies, 50)
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
    socket.on('error', () => {})
  })
}
