import { request } from 'undici'
import { chatPath, mb, plainBody, rssMb, startGateway, startMock, streamBody } from '../harness.js'
import type { SoakFigure, SoakItem } from '../types.js'

/**
 * Issue 18 point 3, the upstream half: an upstream that resets, hangs, answers slowly, sends a
 * truncated or malformed stream, or a gigantic body. The client always gets an answer or an error in
 * bounded time (never a hang), the gateway's memory stays bounded, and it keeps serving.
 */
export const upstreamFaults: SoakItem = {
  name: 'upstream-faults',
  async run(scale, log, resources) {
    const mock = await startMock(resources, { record: false })
    // One upstream, no retries elsewhere: each fault reaches the client. Headers are waited for 2 s.
    const gateway = await startGateway(resources, {
      timeouts: { timeout: '2s', streamTimeout: '2s', idleTimeout: '2s' },
      routes: [{ path: '/', upstreams: [{ url: mock.url }] }],
    })
    const ask = async (body: string, fault: Record<string, string>) => {
      const started = Date.now()
      let status = 0
      let bytes = 0
      let tail = ''
      try {
        const answer = await request(`${gateway.url}${chatPath}`, { method: 'POST', headers: { 'content-type': 'application/json', ...fault }, body, headersTimeout: 30_000, bodyTimeout: 30_000 })
        status = answer.statusCode
        for await (const chunk of answer.body) {
          bytes += (chunk as Buffer).length
          tail = (tail + (chunk as Buffer).toString('latin1')).slice(-200)
        }
        return { status, ms: Date.now() - started, bytes, tail, cut: false }
      } catch {
        // Cut by the gateway: what came before the cut is kept (a broken stream's error event).
        return { status, ms: Date.now() - started, bytes, tail, cut: true }
      }
    }
    const figures: SoakFigure[] = []
    const cases: Array<[string, string, Record<string, string>, (answer: Awaited<ReturnType<typeof ask>>) => boolean, string]> = [
      ['resets the connection', plainBody, { 'x-mock-fault': 'reset' }, (a) => a.status === 502, '502 at once'],
      ['never answers', plainBody, { 'x-mock-fault': 'hang' }, (a) => a.status === 504 && a.ms < 4000, '504 after timeouts.timeout (2 s)'],
      ['answers slowly (1.5 s)', plainBody, { 'x-mock-headers-delay-ms': '1500' }, (a) => a.status === 200, '200'],
      ['truncates its stream', streamBody(20, 5), { 'x-mock-fault': 'truncate' }, (a) => a.status === 200 && a.cut && !a.tail.includes('[DONE]') && a.tail.includes('"error"'), 'an error event, no [DONE], then cut'],
      ['sends a malformed stream', streamBody(20, 5), { 'x-mock-fault': 'malformed' }, (a) => a.status === 200 && a.ms < 4000, 'relayed as sent, ends'],
      ['sends malformed JSON', plainBody, { 'x-mock-fault': 'malformed' }, (a) => a.status === 200 && a.ms < 4000, 'relayed as sent'],
    ]
    for (const [what, body, fault, ok, bound] of cases) {
      const answer = await ask(body, fault)
      log(`upstream-faults: ${what}: ${answer.status || 'no answer'}${answer.cut ? ', then cut' : ''} after ${answer.ms} ms`)
      figures.push({ item: `an upstream that ${what}`, figure: `${answer.status || 'no answer'}${answer.cut ? ', then cut' : ''} after ${answer.ms} ms`, bound, ok: ok(answer) })
    }
    // A gigantic answer passes through without being held: the gateway's memory stays flat.
    const before = rssMb(gateway.pid)
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid))), 100)
    const flood = await ask(plainBody, { 'x-mock-fault': 'flood' })
    clearInterval(sampler)
    log(`upstream-faults: a 256 MB answer: ${flood.status} after ${flood.ms} ms, ${(flood.bytes / 1024 / 1024).toFixed(0)} MB relayed; RSS peak ${mb(peak - before)}`)
    figures.push({
      item: 'an upstream that sends a 256 MB answer',
      figure: `${(flood.bytes / 1024 / 1024).toFixed(0)} MB relayed in ${flood.ms} ms, RSS peak ${mb(peak - before)}`,
      bound: 'relayed whole, RSS peak < +64 MB',
      ok: flood.status === 200 && flood.bytes > 256 * 1024 * 1024 && peak - before < 64,
    })
    // And it still serves.
    const after = await ask(plainBody, {})
    figures.push({ item: 'after every fault', figure: `${after.status}`, bound: 'still serving (200)', ok: after.status === 200 })
    void scale
    return figures
  },
}
