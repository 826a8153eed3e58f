import { RelayError } from '../errors.js'
import type { LimitsRuntime } from '../runtime.js'

/**
 * The counter backend could not answer a check (request rate or token quota): counted and logged by
 * the watch, then limits.onBackendError decides: fail-open admits (undefined), fail-closed answers 503.
 */
export function limitsBackendFailed(limits: LimitsRuntime, error: unknown): undefined {
  limits.watch.failed(error)
  if (limits.config.onBackendError === 'fail-closed') {
    throw new RelayError('RELAY_ERR_LIMITS_UNAVAILABLE', 'Rate limits cannot be checked right now; try again shortly.', { cause: error, headers: { 'retry-after': '1' } })
  }
  return undefined
}
