import { RelayError } from '../errors.js'

/** Small readers every dialect's request reader uses: a body is refused the way the dialect's own API refuses it, naming the field. */

export type Json = Record<string, unknown>

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A 400 for a field the dialect's own API would refuse as malformed. */
export function bad(param: string, message: string): RelayError {
  return new RelayError('RELAY_ERR_BAD_FIELD', `'${param}' ${message}`, { param })
}

/** A 400 for a well-formed field the gateway cannot carry to an upstream of another API without changing the answer. */
export function unsupported(param: string, message: string): RelayError {
  return new RelayError('RELAY_ERR_UNSUPPORTED_PARAM', `'${param}' ${message}`, { param })
}

/** Absent, in JSON terms: not sent, or sent as null. */
export function absent(value: unknown): value is undefined | null {
  return value === undefined || value === null
}

export function number(value: unknown, param: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(param, 'must be a number.')
  return value
}

export function positiveInteger(value: unknown, param: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw bad(param, 'must be a positive integer.')
  return value
}
