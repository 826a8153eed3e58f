import type { BodyAnswer } from '../answer.js'
import type { ApiInput } from '../api.js'
import { replicateProblem } from './errors.js'

/** Replicate takes `Authorization: Bearer <token>` or the older `Token <token>`; without one it answers 401. */
export function unauthenticated({ id, headers }: ApiInput): BodyAnswer | undefined {
  const auth = headers.authorization
  if (typeof auth === 'string' && /^(Bearer|Token) \S+/.test(auth)) return undefined
  return replicateProblem(401, 'You did not pass a valid authentication token', id)
}
