import { RelayError } from '../../errors.js'
import type { RelayContext } from '../context.js'

/** OpenAI-Forward's levels: a forward key of level N > 0 may only use the models listed for N. */
export function checkModelAccess(ctx: RelayContext): undefined {
  const allowed = ctx.runtime.clients.allowedModels(ctx.identity)
  if (allowed === undefined || ctx.model === undefined) return
  if (!allowed.has(ctx.model)) {
    throw new RelayError('RELAY_ERR_MODEL_NOT_ALLOWED', `The model '${ctx.model}' is not allowed for this key.`, { param: 'model' })
  }
}
