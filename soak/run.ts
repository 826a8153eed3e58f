/**
 * `npm run soak`: every reliability item of issue 18 at its full size (minutes), a table of figures
 * against their bounds at the end, exit 1 when one is out. `-- --short` runs the sizes `npm test`
 * runs; `-- --only memory,records` some items. Needs `npm run build` first (the script does it).
 */
import { table } from '../bench/report.js'
import { runSoakItem } from './harness.js'
import { soakItems } from './items/index.js'
import type { SoakFigure, SoakScale } from './types.js'

const scale: SoakScale = process.argv.includes('--short') ? 'short' : 'full'
const only = process.argv.includes('--only') ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') : undefined
const items = soakItems.filter((item) => only === undefined || only.includes(item.name))
const startedAt = new Date()
const figures: SoakFigure[] = []
for (const item of items) {
  const started = Date.now()
  console.log(`soak: ${item.name} (${scale})`)
  try {
    figures.push(...(await runSoakItem(item, scale, (line) => console.log(`  ${line}`))))
  } catch (error) {
    figures.push({ item: item.name, figure: 'failed', bound: 'runs', ok: false, detail: (error as Error).stack ?? String(error) })
  }
  console.log(`  ${item.name}: ${((Date.now() - started) / 1000).toFixed(0)} s`)
}
console.log(`\nSoak (issue 18), ${scale}, ${startedAt.toISOString()}, node ${process.version}`)
console.log(table([['item', 'figure', 'bound', 'result', 'detail'], ...figures.map((figure) => [figure.item, figure.figure, figure.bound, figure.ok ? 'kept' : 'OUT', figure.detail ?? ''])]))
process.exitCode = figures.every((figure) => figure.ok) ? 0 : 1
