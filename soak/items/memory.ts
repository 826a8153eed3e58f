import { setMaxListeners } from 'node:events'
import { Pool } from 'undici'
import { runLoad } from '../../bench/load.js'
import { chatPath, mb, openFiles, plainBody, recordRows, rssMb, settledRss, startGateway, startMock, streamBody, waitFor } from '../harness.js'
import type { SoakFigure, SoakItem } from '../types.js'

const MB_BOUND = 32
/** Streams held and released before the measured ones (warm-up of the cut-stream path). */
const WARM_STREAMS = 20
/** Open files the gateway may have beyond its level before the held streams: keep-alive connections come and go. */
const FD_SLACK = 16

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

    // Held streams: opened, all started, held, released. A few first, so that what a cut stream
    // loads once (the tokenizer that counts its text, ~45 MB of RSS) is in the level before, as after any
    // day of traffic; then the thousands, measured. Both levels are read a minute after the traffic
    // before them (then once RSS holds still): V8 gives a peak's heap back at its next major GC, which
    // an idle gateway ran 30-40 s after 2,000 streams ended (it sat flat at the peak until then).
    const rest = scale === 'full' ? { afterMs: 60_000, quietMs: 10_000, maxMs: 60_000 } : { afterMs: 0, quietMs: 3000, maxMs: 60_000 }
    const restingRss = async () => {
      await new Promise((resolve) => setTimeout(resolve, rest.afterMs))
      return settledRss(gateway.pid, rest)
    }
    await holdStreams(gateway.url, WARM_STREAMS, 0)
    if (!(await waitFor(() => mock.aborted() >= WARM_STREAMS, 30_000))) throw new Error('the warm-up streams were not released upstream')
    const restBefore = await restingRss()
    const fdsBefore = openFiles(gateway.pid)
    let holding = restBefore
    const heldPeakSampler = setInterval(() => (holding = Math.max(holding, rssMb(gateway.pid))), 500)
    const { begun, allBegun } = await holdStreams(gateway.url, held, holdMs)
    clearInterval(heldPeakSampler)
    log('memory: streams released')
    const streamsGone = await waitFor(() => mock.aborted() >= WARM_STREAMS + held, 30_000)
    // Every connection the streams used is closed again (undici's spare one after each cut stream too).
    const socketsClosed = await waitFor(() => openFiles(gateway.pid) <= fdsBefore + FD_SLACK, 30_000)
    const fdsAfter = openFiles(gateway.pid)
    const restAfter = await restingRss()
    log(`memory: ${begun} streams held ${holdMs / 1000} s: RSS ${restBefore.toFixed(1)} → ${holding.toFixed(1)} → ${restAfter.toFixed(1)} MB`)
    figures.push({
      item: `RSS ${rest.afterMs > 0 ? `a minute after ${held.toLocaleString('en')} slow streams held ${holdMs / 1000} s were released` : `after ${held.toLocaleString('en')} slow streams held ${holdMs / 1000} s and released`}`,
      figure: mb(restAfter - restBefore),
      bound: `within ${MB_BOUND} MB of before`,
      ok: allBegun && streamsGone && socketsClosed && restAfter - restBefore < MB_BOUND,
      detail: `${restBefore.toFixed(0)} → ${holding.toFixed(0)} held → ${restAfter.toFixed(0)} MB; ${begun} began, upstream calls ended ${mock.aborted() - WARM_STREAMS}; open files ${fdsBefore} → ${fdsAfter}`,
    })

    // Nothing lost: SIGTERM writes what is queued; then the file holds one record per request served.
    // (Every request sent is recorded: those that failed and the held streams the clients left, too.)
    const sent = served + errors + WARM_STREAMS + held
    log('memory: stopping the gateway (SIGTERM)')
    await gateway.stop()
    const rows = recordRows(gateway)
    figures.push({
      item: 'records after the soak (SIGTERM at the end)',
      figure: `${rows.toLocaleString('en')} of ${sent.toLocaleString('en')}`,
      bound: 'one per request',
      ok: rows === sent,
      detail: `${served.toLocaleString('en')} answered, ${errors} failed, ${WARM_STREAMS + held} held streams`,
    })
    return figures
  },
}

/** `count` streams of the mock's slowest kind, all begun, held `holdMs`, then left by their clients. */
async function holdStreams(url: string, count: number, holdMs: number): Promise<{ begun: number; allBegun: boolean }> {
  const controller = new AbortController()
  setMaxListeners(count + 10, controller.signal)
  const pool = new Pool(url, { connections: count, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 })
  let begun = 0
  const streams = Array.from({ length: count }, async () => {
    try {
      const answer = await pool.request({ path: chatPath, method: 'POST', headers: { 'content-type': 'application/json' }, body: streamBody(1000, 500), signal: controller.signal })
      let first = true
      for await (const _chunk of answer.body) {
        if (first) begun++
        first = false
      }
    } catch {
      // released on purpose
    }
  })
  try {
    const allBegun = await waitFor(() => begun === count, 60_000)
    await new Promise((resolve) => setTimeout(resolve, holdMs))
    return { begun, allBegun }
  } finally {
    controller.abort()
    await Promise.allSettled(streams)
    await pool.destroy()
  }
}
