/** An error answer of the admin API: OpenAI's shape, a stable code, and for a refused config the loader's issues. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; problem: string }[] = [],
    readonly retryAfter: number | undefined = undefined,
    readonly etag: string | undefined = undefined,
  ) {
    super(message)
  }
}

export interface Answer<T> {
  data: T
  etag: string | undefined
}

/** Called when any answer says the session is gone (401), so the app shows the login page. */
let onSignedOut: () => void = () => {}
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler
}

/**
 * Calls the admin API on this origin with the session cookie. Changes are sent as JSON, which the
 * API requires of a browser (with SameSite=Strict cookies that keeps other sites from posting).
 */
export async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json', ...headers } }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
  }
  const answer = await fetch(path, init)
  const etag = answer.headers.get('etag') ?? undefined
  const text = await answer.text()
  const json = text === '' ? undefined : (JSON.parse(text) as unknown)
  if (!answer.ok) {
    const error = (json as { error?: { code?: string; message?: string; issues?: { path: string; problem: string }[] } } | undefined)?.error
    if (answer.status === 401 && !path.endsWith('/login')) onSignedOut()
    const retryAfter = answer.headers.get('retry-after')
    throw new ApiError(answer.status, error?.code ?? `HTTP_${answer.status}`, error?.message ?? answer.statusText, error?.issues ?? [], retryAfter === null ? undefined : Number(retryAfter), etag)
  }
  return { data: json as T, etag }
}

export const get = <T>(path: string) => api<T>('GET', path).then((answer) => answer.data)

/** A query string of the values that are set. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, String(value))
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}
