import { useEffect, useRef } from 'preact/hooks'
import uPlot, { type AlignedData, type Options } from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { theme } from '../lib/theme'

export interface ChartSeries {
  label: string
  /** A CSS custom property of the theme, e.g. --chart-1. */
  color: string
  /** Formats a value for the legend and the axis. */
  format?: (value: number) => string
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim()

/**
 * A live line chart (uPlot: a few KB, fast at thousands of points): `data` is [times in seconds,
 * ...one array per series]. Redrawn in place when the data changes; rebuilt when the theme does.
 */
export function Chart({ title, series, data, height = 180 }: { title: string; series: ChartSeries[]; data: AlignedData; height?: number }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const dark = theme.value === 'dark'

  useEffect(() => {
    const element = box.current
    if (element === null) return
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } }
    const format = series[0]?.format
    const options: Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_plot, min, max) => [Math.min(0, min), max <= 0 ? 1 : max * 1.1] } },
      axes: [axis, { ...axis, size: 64, ...(format !== undefined && { values: (_plot: uPlot, ticks: number[]) => ticks.map(format) }) }],
      series: [
        {},
        ...series.map((entry) => ({
          label: entry.label,
          stroke: cssVar(entry.color),
          width: 2,
          points: { show: false },
          spanGaps: false,
          ...(entry.format !== undefined && { value: (_plot: uPlot, value: number | null) => (value === null ? '–' : entry.format!(value)) }),
        })),
      ],
    }
    plot.current = new uPlot(options, data, element)
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(element.clientWidth, 200), height }))
    resize.observe(element)
    return () => {
      resize.disconnect()
      plot.current?.destroy()
      plot.current = null
    }
    // Rebuilt only when the theme or the series change; new data goes through setData below.
  }, [dark, series.map((entry) => entry.label).join()])

  useEffect(() => {
    plot.current?.setData(data)
  }, [data])

  const last = series.map((entry, index) => {
    const values = data[index + 1] ?? []
    const value = values[values.length - 1]
    return `${entry.label} ${value === null || value === undefined ? 'no data' : entry.format !== undefined ? entry.format(value) : value}`
  })
  return (
    <figure class="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={`${title}: latest ${last.join(', ')}`} />
    </figure>
  )
}
