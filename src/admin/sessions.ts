import { randomBytes } from 'node:crypto'
import type { AdminRole } from './credentials.js'

export interface AdminSession {
  readonly id: string
  readonly role: AdminRole
  readonly createdAt: number
  lastSeenAt: number
}

/** Sessions held at most: past it the least recently used one ends (a flood of logins cannot grow memory). */
const MAX_SESSIONS = 1000

/**
 * Server-side sessions: the cookie holds only an opaque random id, so logout revokes at once and a
 * stolen cookie dies with its session (the peers' JWT cookies did not: ui.md §3). A session ends
 * after `idleMs` without a request or `maxMs` after its login.
 */
export class SessionBook {
  readonly #sessions = new Map<string, AdminSession>()

  constructor(
    private readonly idleMs: number,
    private readonly maxMs: number,
  ) {}

  open(role: AdminRole, now = Date.now()): AdminSession {
    const session: AdminSession = { id: randomBytes(32).toString('base64url'), role, createdAt: now, lastSeenAt: now }
    this.#sessions.set(session.id, session)
    if (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!)
    return session
  }

  /** The session of an id, touched; undefined when unknown or expired (then it is gone). */
  find(id: string, now = Date.now()): AdminSession | undefined {
    const session = this.#sessions.get(id)
    if (session === undefined) return undefined
    if (now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.maxMs) {
      this.#sessions.delete(id)
      return undefined
    }
    session.lastSeenAt = now
    // Most recently used last: the map's order is what MAX_SESSIONS evicts by.
    this.#sessions.delete(id)
    this.#sessions.set(id, session)
    return session
  }

  close(id: string): void {
    this.#sessions.delete(id)
  }

  /** How long a session's cookie may live: its absolute limit. */
  get maxAgeSeconds(): number {
    return Math.floor(this.maxMs / 1000)
  }
}
