import type { RelayContext } from './context.js'

/** Returned by a stage that has answered the request: the run ends there (h3's "first value wins"). */
export const answered = Symbol('answered')
export type StageResult = typeof answered | undefined
export type Stage = (ctx: RelayContext) => StageResult | Promise<StageResult>

/** Runs the stages in order. Synchronous stages are not awaited, so they cost no extra tick. */
export async function runPipeline(ctx: RelayContext, stages: readonly Stage[]): Promise<void> {
  for (const stage of stages) {
    const result = stage(ctx)
    if ((result instanceof Promise ? await result : result) === answered) return
  }
}
