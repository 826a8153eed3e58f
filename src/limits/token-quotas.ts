import type { Usage } from '../answers/usage-meter.js'
import type { RelayContext } from '../pipeline/context.js'
import type { WindowLimit } from '../storage/types.js'

/** What a request took from its token quotas on admission; settled once its answer is known. */
export interface TokenReservation {
  readonly windows: readonly WindowLimit[]
  /** Tokens taken: the prompt estimate plus the request's max output. */
  reserved: number
  promptEstimate: number
  /** Epoch ms of the admission: a give-back goes to the window the tokens were taken from. */
  at: number
}

/**
 * Replaces the reservation with what the request really cost: the upstream's usage, or the prompt
 * estimate plus the counted answer text (a stream without usage, or one the client left early, is
 * still billed for what was generated). An answer that never came, or an error answer, costs nothing.
 * A shortfall is taken back from the admission's window; an overrun is charged to the current one.
 */
/** Resolves once the counters have it (never rejects: a failing backend is reported by its watch). */
export function settleTokenReservation(ctx: RelayContext, usage: Usage | undefined): Promise<void> | undefined {
  const reservation = ctx.tokenReservation
  const limits = ctx.runtime.limits
  if (reservation === undefined || limits === undefined) return undefined
  ctx.tokenReservation = undefined
  const used = usage?.totalTokens ?? 0
  const delta = used - reservation.reserved
  if (delta === 0) return undefined
  return limits.store.adjust(reservation.windows, delta, limits.config.strategy, delta < 0 ? reservation.at : Date.now()).then(
    () => limits.watch.succeeded(),
    (error: unknown) => limits.watch.failed(error),
  )
}
