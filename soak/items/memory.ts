import { setMaxListeners } from 'node:events'
import { Pool } from 'undici'
import { runLoad } from '../../bench/load.js'
import { chatPath, mb, plainBody, recordRows, rssMb, settledRss, startGateway, startMock, streamBody, waitFor } from '../harness.js'
import type { SoakFigure, SoakItem } from '../types.js'

const MB_BOUND = 32

/**
 * Issue 18 point 1 and the first half of point 2: a long run of plain and streamed requests with
 * records on does not grow the gateway's memory, and every request served has its record; then
 * thousands of slow streams held open and released give their memory back.
 */
export const memory: SoakItem = {
  name: 'memory',
  async run(scale, log, resources) {
    const total = scale === 'full' ? 1_000_000 : 20_000
    const held = scale === 'full' ? 2000 : 300
    const holdMs = scale === 'full' ? 60_000 : 3000
    const mock = await startMock(resources, { record: false })
    const gateway = await startGateway(resources, { routes: [{ path: '/', upstreams: [{ url: mock.url }] }] })
    const pool = new Pool(gateway.url, { connections: 32, pipelining: 1, keepAliveTimeout: 60_000 })
    resources.add(() => pool.close())
    let served = 0
    let errors = 0
    const load = async (count: number) => {
      // Alternating slices: three plain requests to one 5-chunk stream, as chat clients mix them.
      for (let done = 0; done < count; ) {
        const slice = Math.min(20_000, count - done)
        const plain = await runLoad({ pool, url: gateway.url, path: chatPath, body: plainBody, concurrency: 32, maxRequests: Math.ceil((slice * 3) / 4), maxMs: Infinity })
        const streamed = await runLoad({ pool, url: gateway.url, path: chatPath, body: streamBody(5, 0), concurrency: 32, maxRequests: Math.floor(slice / 4), maxMs: Infinity, timeFirstByte: true })
        served += plain.requests + streamed.requests
        errors += plain.errors + streamed.errors
        done += slice
      }
    }
    // Warm-up: the JIT, the pools, the record file and the writer's steady state.
    await load(Math.max(5000, total / 20))
    const before = await settledRss(gateway.pid)
    const started = Date.now()
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid))), 500)
    await load(total)
    clearInterval(sampler)
    const after = await settledRss(gateway.pid)
    log(`memory: ${total.toLocaleString('en')} requests in ${((Date.now() - started) / 1000).toFixed(0)} s; RSS ${before.toFixed(1)} → ${after.toFixed(1)} MB (peak ${peak.toFixed(1)}), ${errors} errors`)
    const figures: SoakFigure[] = [
      {
        item: `RSS growth over ${total.toLocaleString('en')} requests (3 plain : 1 stream, records on)`,
        figure: mb(after - before),
        bound: `< ${MB_BOUND} MB`,
        ok: after - before < MB_BOUND && errors === 0,
        detail: `${before.toFixed(0)} → ${after.toFixed(0)} MB, peak ${peak.toFixed(0)}; ${errors} errors`,
      },
    ]

    // Held streams: opened, all started, held, released.
    const restBefore = await settledRss(gateway.pid)
    const controller = new AbortController()
    setMaxListeners(held + 10, controller.signal)
    const streamPool = new Pool(gateway.url, { connections: held, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 })
    resources.add(() => streamPool.destroy())
    let begun = 0
    const streams = Array.from({ length: held }, async () => {
      try {
        const answer = await streamPool.request({ path: chatPath, method: 'POST', headers: { 'content-type': 'application/json' }, body: streamBody(1000, 500), signal: controller.signal })
        let first = true
        for await (const _chunk of answer.body) {
          if (first) begun++
          first = false
        }
      } catch {
        // released on purpose
      }
    })
    const allBegun = await waitFor(() => begun === held, 60_000)
    const holding = Math.max(rssMb(gateway.pid), await new Promise<number>((resolve) => setTimeout(() => resolve(rssMb(gateway.pid)), holdMs)))
    controller.abort()
    await Promise.allSettled(streams)
    log('memory: streams released')
    const streamsGone = await waitFor(() => mock.aborted() >= held, 30_000)
    const restAfter = await settledRss(gateway.pid, 15_000)
    log(`memory: ${begun} streams held ${holdMs / 1000} s: RSS ${restBefore.toFixed(1)} → ${holding.toFixed(1)} → ${restAfter.toFixed(1)} MB`)
    figures.push({
      item: `RSS after ${held.toLocaleString('en')} slow streams held ${holdMs / 1000} s and released`,
      figure: mb(restAfter - restBefore),
      bound: `within ${MB_BOUND} MB of before`,
      ok: allBegun && streamsGone && restAfter - restBefore < MB_BOUND,
      detail: `${restBefore.toFixed(0)} → ${holding.toFixed(0)} held → ${restAfter.toFixed(0)} MB; ${begun} began, upstream calls ended ${mock.aborted()}`,
    })

    // Nothing lost: SIGTERM writes what is queued; then the file holds one record per request served.
    // (Every request sent is recorded: those that failed and the held streams the clients left, too.)
    const sent = served + errors + held
    log('memory: stopping the gateway (SIGTERM)')
    await gateway.stop()
    const rows = recordRows(gateway)
    figures.push({
      item: 'records after the soak (SIGTERM at the end)',
      figure: `${rows.toLocaleString('en')} of ${sent.toLocaleString('en')}`,
      bound: 'one per request',
      ok: rows === sent,
      detail: `${served.toLocaleString('en')} answered, ${errors} failed, ${held} held streams`,
    })
    return figures
  },
}
