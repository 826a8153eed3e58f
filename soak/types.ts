import type { Resources } from './harness.js'

/** One figure of the soak, against its bound (issue 18). */
export interface SoakFigure {
  item: string
  /** What was measured, with its unit: "+11.2 MB", "0 lost", "180 ms". */
  figure: string
  /** The bound it must keep, in words: "< 32 MB". */
  bound: string
  ok: boolean
  /** More of what was seen, for the table's last column. */
  detail?: string
}

/** `full`: the sizes (minutes; `npm run soak`); `short`: the same checks in seconds (`npm test`). */
export type SoakScale = 'full' | 'short'

export interface SoakItem {
  name: string
  /** Everything it opens goes into `resources`, which whoever runs it closes (runSoakItem). */
  run(scale: SoakScale, log: (line: string) => void, resources: Resources): Promise<SoakFigure[]>
}
