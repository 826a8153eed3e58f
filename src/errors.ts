/**
 * The catalogue of every error llm-relay answers with. Each code has a fixed HTTP status and
 * OpenAI error `type`, so clients (and the OpenAI SDK's error classes) can rely on them.
 * docs/errors.md lists the same codes; test/unit/errors.test.ts keeps the two equal.
 */
export const errorCatalogue = {
  RELAY_ERR_BAD_JSON: { status: 400, type: 'invalid_request_error' },
  RELAY_ERR_BAD_FIELD: { status: 400, type: 'invalid_request_error' },
  RELAY_ERR_BAD_PATH: { status: 400, type: 'invalid_request_error' },
  RELAY_ERR_BAD_FORM: { status: 400, type: 'invalid_request_error' },
  RELAY_ERR_UNSUPPORTED_PARAM: { status: 400, type: 'invalid_request_error' },
  RELAY_ERR_BAD_REQUEST: { status: 400, type: 'invalid_request_error' },
  RELAY_ERR_UNAUTHORIZED: { status: 401, type: 'authentication_error' },
  RELAY_ERR_ADMIN_FORBIDDEN: { status: 403, type: 'permission_error' },
  RELAY_ERR_CONFIG_READ_ONLY: { status: 409, type: 'invalid_request_error' },
  RELAY_ERR_CONFIG_CONFLICT: { status: 412, type: 'invalid_request_error' },
  RELAY_ERR_CONFIG_INVALID: { status: 422, type: 'invalid_request_error' },
  RELAY_ERR_PRECONDITION_REQUIRED: { status: 428, type: 'invalid_request_error' },
  RELAY_ERR_LOGIN_THROTTLED: { status: 429, type: 'rate_limit_error' },
  RELAY_ERR_IP_FORBIDDEN: { status: 403, type: 'permission_error' },
  RELAY_ERR_MODEL_NOT_ALLOWED: { status: 403, type: 'permission_error' },
  RELAY_ERR_TOKEN_NOT_ALLOWED: { status: 403, type: 'permission_error' },
  RELAY_ERR_NO_ROUTE: { status: 404, type: 'invalid_request_error' },
  RELAY_ERR_ADMIN_NOT_FOUND: { status: 404, type: 'invalid_request_error' },
  RELAY_ERR_MODEL_NOT_SERVED: { status: 404, type: 'invalid_request_error' },
  RELAY_ERR_ENDPOINT_NOT_SERVED: { status: 404, type: 'invalid_request_error' },
  RELAY_ERR_REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error' },
  RELAY_ERR_BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error' },
  RELAY_ERR_HEADERS_TOO_LARGE: { status: 431, type: 'invalid_request_error' },
  RELAY_ERR_RATE_LIMITED: { status: 429, type: 'rate_limit_error' },
  RELAY_ERR_UPSTREAMS_RATE_LIMITED: { status: 429, type: 'rate_limit_error' },
  RELAY_ERR_REQUEST_TOO_LARGE: { status: 429, type: 'rate_limit_error' },
  RELAY_ERR_INTERNAL: { status: 500, type: 'api_error' },
  RELAY_ERR_UPSTREAM_FAILED: { status: 502, type: 'api_error' },
  RELAY_ERR_UPSTREAM_STREAM_BROKEN: { status: 502, type: 'api_error' },
  RELAY_ERR_NOT_READY: { status: 503, type: 'api_error' },
  RELAY_ERR_UPSTREAM_OVERLOADED: { status: 503, type: 'api_error' },
  RELAY_ERR_LIMITS_UNAVAILABLE: { status: 503, type: 'api_error' },
  RELAY_ERR_UPSTREAM_TIMEOUT: { status: 504, type: 'api_error' },
} as const satisfies Record<string, { status: number; type: string }>

export type RelayErrorCode = keyof typeof errorCatalogue

export interface RelayErrorOptions {
  param?: string
  cause?: unknown
  headers?: Record<string, string>
  /** Field by field, what is wrong (a refused config change): in the body as `issues`. */
  issues?: { path: string; problem: string }[]
}

/** An error whose message is safe to show to the client; `cause` is for logs only. */
export class RelayError extends Error {
  readonly code: RelayErrorCode
  readonly status: number
  readonly type: string
  readonly param: string | undefined
  readonly headers: Record<string, string> | undefined
  readonly issues: { path: string; problem: string }[] | undefined

  constructor(code: RelayErrorCode, message: string, options: RelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RelayError'
    this.code = code
    this.status = errorCatalogue[code].status
    this.type = errorCatalogue[code].type
    this.param = options.param
    this.headers = options.headers
    this.issues = options.issues
  }

  /** The OpenAI error body: `{ error: { message, type, param, code } }`. */
  toBody(): { error: { message: string; type: string; param: string | null; code: string; issues?: { path: string; problem: string }[] } } {
    return { error: { message: this.message, type: this.type, param: this.param ?? null, code: this.code, ...(this.issues !== undefined && { issues: this.issues }) } }
  }
}
