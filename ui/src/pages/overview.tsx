import type { AlignedData } from 'uplot'
import { Chart, type ChartSeries } from '../components/chart'
import { Empty } from '../components/notice'
import { count, duration, percent, relative } from '../lib/format'
import { connection, samples, type StatsSample } from '../lib/live'

const perSecond = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2))
const ms = (value: number) => duration(value)

const trafficSeries: ChartSeries[] = [
  { label: 'requests/s', color: '--chart-1', format: perSecond },
  { label: 'errors/s', color: '--chart-bad', format: perSecond },
]
const latencySeries: ChartSeries[] = [
  { label: 'p50', color: '--chart-1', format: ms },
  { label: 'p95', color: '--chart-2', format: ms },
  { label: 'first byte p50', color: '--chart-3', format: ms },
]
const tokenSeries: ChartSeries[] = [
  { label: 'prompt/s', color: '--chart-1', format: perSecond },
  { label: 'completion/s', color: '--chart-2', format: perSecond },
]

function columns(list: StatsSample[], pick: ((sample: StatsSample) => number | null)[]): AlignedData {
  return [list.map((sample) => sample.time / 1000), ...pick.map((read) => list.map(read))] as AlignedData
}

function Tile({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div class="tile" role="group" aria-label={label}>
      <div class="tile-label">{label}</div>
      <div class="tile-value">{value}</div>
      {detail !== undefined && <div class="tile-detail">{detail}</div>}
    </div>
  )
}

/**
 * Overview (issue 15 point 3): this instance's traffic, live each second over the one event stream,
 * from the same counters /metrics serves, and each upstream's health.
 */
export function OverviewPage() {
  const list = samples.value
  // The history a new tab gets holds the charts' numbers only; totals and upstreams come with each live sample.
  const last = list.findLast((sample) => sample.upstreams !== undefined)
  const totals = last?.totals
  return (
    <section aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        <span class="muted">{connection.value === 'live' ? 'live, every second' : connection.value === 'connecting' ? 'connecting…' : 'not connected'}</span>
      </div>
      {last === undefined ? (
        <Empty>Waiting for the first numbers…</Empty>
      ) : (
        <>
          <div class="tiles">
            <Tile label="Requests per second" value={perSecond(last.rate.requestsPerSec)} detail={`${count(totals?.requests)} since start`} />
            <Tile label="Errors per second" value={perSecond(last.rate.errorsPerSec)} detail={`${count(totals?.errors)} 5xx since start, ${count(totals?.byStatusClass['4xx'])} 4xx`} />
            <Tile label="Latency p50 / p95" value={`${duration(last.window.p50Ms)} / ${duration(last.window.p95Ms)}`} detail="last 10 s" />
            <Tile label="Time to first byte p50" value={duration(last.window.ttfbP50Ms)} detail={`p95 ${duration(last.window.ttfbP95Ms)}`} />
            <Tile label="Tokens per second" value={perSecond(last.rate.promptTokensPerSec + last.rate.completionTokensPerSec)} detail={`${count((totals?.promptTokens ?? 0) + (totals?.completionTokens ?? 0))} since start`} />
            <Tile label="Cache hit rate" value={percent(last.window.cacheHitRate)} detail={`${count(totals?.cache.HIT)} hits since start`} />
            <Tile label="In flight" value={count(last.inFlight)} detail={`${count(last.streamsInFlight)} streams`} />
          </div>
          <div class="charts">
            <Chart title="Requests and errors per second" series={trafficSeries} data={columns(list, [(sample) => sample.rate.requestsPerSec, (sample) => sample.rate.errorsPerSec])} />
            <Chart title="Latency" series={latencySeries} data={columns(list, [(sample) => sample.window.p50Ms, (sample) => sample.window.p95Ms, (sample) => sample.window.ttfbP50Ms])} />
            <Chart title="Tokens per second" series={tokenSeries} data={columns(list, [(sample) => sample.rate.promptTokensPerSec, (sample) => sample.rate.completionTokensPerSec])} />
          </div>
          <h2>Upstreams</h2>
          <div class="table-wrap">
            <table class="data" aria-label="Upstream health">
              <thead>
                <tr>
                  <th scope="col">Route</th>
                  <th scope="col">Upstream</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Health</th>
                  <th scope="col" class="num">Failures in a row</th>
                  <th scope="col" class="num">In flight</th>
                </tr>
              </thead>
              <tbody>
                {(last.upstreams ?? []).map((upstream) => (
                  <tr key={upstream.id}>
                    <td class="mono">{upstream.route}</td>
                    <td>{upstream.name}</td>
                    <td>{upstream.provider}</td>
                    <td>{upstream.up ? <span class="pill ok">up</span> : <span class="pill bad">cooling{upstream.coolingUntil === null ? '' : `, back ${relative(upstream.coolingUntil)}`}</span>}</td>
                    <td class="num">{upstream.consecutiveFailures}</td>
                    <td class="num">{upstream.inflight}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="hint">
            These are this instance's numbers, from the counters its <code>/metrics</code> serves; several instances each show their own.
          </p>
        </>
      )}
    </section>
  )
}
