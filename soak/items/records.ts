import { Pool } from 'undici'
import { chatPath, plainBody, recordRows, recordsIntegrity, Resources, startGateway, startMock, waitFor, type SoakGateway } from '../harness.js'
import type { SoakFigure, SoakItem } from '../types.js'

/** The record writer's batch window (records.flushInterval's default): what a SIGKILL may lose. */
const BATCH_WINDOW_MS = 1000

interface LoadUnderSignal {
  /** Answers the client got whole (200). */
  served: number
  /** When each was answered (Date.now()), to count those of the last batch window before the signal. */
  answeredAt: number[]
  signalledAt: number
}

/**
 * Issue 18 point 2: SIGTERM under load loses no record (every request answered is written before
 * the exit); SIGKILL under load loses at most the records of the last batch window, and the gateway
 * opens its SQLite files cleanly when started again on them.
 */
export const records: SoakItem = {
  name: 'records',
  async run(scale, log, resources) {
    const loadMs = scale === 'full' ? 20_000 : 3000
    const mock = await startMock(resources, { record: false })
    const config = { routes: [{ path: '/', upstreams: [{ url: mock.url }] }] }

    const terminated = await startGateway(resources, config)
    const term = await loadThenSignal(resources, terminated, loadMs, 'SIGTERM')
    const termRows = recordRows(terminated)
    log(`records: SIGTERM after ${term.served} answers: ${termRows} records`)
    const figures: SoakFigure[] = [
      {
        item: `records after SIGTERM under load (c=32, ${loadMs / 1000} s)`,
        figure: `${termRows.toLocaleString('en')} of ${term.served.toLocaleString('en')} answered`,
        bound: 'none lost',
        ok: termRows === term.served,
        detail: `exit code ${terminated.child.exitCode}`,
      },
    ]

    const killed = await startGateway(resources, config)
    const kill = await loadThenSignal(resources, killed, loadMs, 'SIGKILL')
    const killRows = recordRows(killed)
    const lost = kill.served - killRows
    const inLastWindow = kill.answeredAt.filter((at) => at > kill.signalledAt - BATCH_WINDOW_MS).length
    log(`records: SIGKILL after ${kill.served} answers: ${killRows} records, ${lost} lost, ${inLastWindow} answered in the last ${BATCH_WINDOW_MS} ms`)
    figures.push({
      item: `records lost to SIGKILL under load (c=32, ${loadMs / 1000} s)`,
      figure: `${lost.toLocaleString('en')} lost`,
      bound: `<= those answered in the last batch window (${inLastWindow.toLocaleString('en')})`,
      ok: lost >= 0 && lost <= inLastWindow,
      detail: `${killRows.toLocaleString('en')} of ${kill.served.toLocaleString('en')} written`,
    })

    // Started again on the files the killed process left: it opens them, serves, and writes on.
    const again = await killed.restart()
    log('records: restarted on the same files')
    const answer = await fetch(`${again.url}${chatPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: plainBody })
    await answer.arrayBuffer()
    log(`records: answered ${answer.status}; stopping`)
    await again.stop()
    const integrity = recordsIntegrity(again)
    const afterRestart = recordRows(again)
    figures.push({
      item: 'a restart on the files of the killed process',
      figure: `integrity ${integrity}, answered ${answer.status}`,
      bound: 'opens cleanly and writes on',
      ok: integrity === 'ok' && answer.status === 200 && afterRestart === killRows + 1,
      detail: `${afterRestart.toLocaleString('en')} records after one more request`,
    })
    return figures
  },
}

/** c=32 plain requests for `loadMs`, then `signal` to the gateway while they run; resolves once the gateway is gone. */
async function loadThenSignal(resources: Resources, gateway: SoakGateway, loadMs: number, signal: NodeJS.Signals): Promise<LoadUnderSignal> {
  const pool = new Pool(gateway.url, { connections: 32, pipelining: 1 })
  resources.add(() => pool.destroy())
  const answeredAt: number[] = []
  let signalledAt = Number.POSITIVE_INFINITY
  let going = true
  const worker = async () => {
    while (going) {
      try {
        const answer = await pool.request({ path: chatPath, method: 'POST', headers: { 'content-type': 'application/json' }, body: plainBody })
        await answer.body.text()
        if (answer.statusCode === 200) answeredAt.push(Date.now())
      } catch {
        // refused or cut once the signal came
        if (Date.now() >= signalledAt) return
      }
    }
  }
  const workers = Array.from({ length: 32 }, worker)
  await new Promise((resolve) => setTimeout(resolve, loadMs))
  const exited = new Promise<void>((resolve) => (gateway.child.exitCode !== null || gateway.child.signalCode !== null ? resolve() : gateway.child.once('exit', () => resolve())))
  signalledAt = Date.now()
  gateway.child.kill(signal)
  await exited
  going = false
  await Promise.all(workers)
  await waitFor(() => true, 0)
  return { served: answeredAt.length, answeredAt, signalledAt }
}
