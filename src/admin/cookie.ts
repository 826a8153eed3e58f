import type { IncomingHttpHeaders } from 'node:http'

/** The session cookie's name. */
export const SESSION_COOKIE = 'llm_relay_session'

// Hand-written rather than @fastify/cookie: one cookie is read and written, and its `cookie` 2.x dependency declares Node >= 22.

/** The session id the browser sent, if any. */
export function sessionIdOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.cookie
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at !== -1 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim()
  }
  return undefined
}

/**
 * The Set-Cookie of a session: HttpOnly (no script reads it), SameSite=Strict (no other site's page
 * sends it), Path=/ on the admin listener only; Secure when the admin UI is reached over https.
 */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`
}

/** The Set-Cookie that ends a session in the browser. */
export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`
}
