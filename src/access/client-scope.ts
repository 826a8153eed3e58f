import type { ClientIdentity } from './client-keys.js'

/** What clientScope reads of a request (a RelayContext is one). */
export interface ClientFacts {
  readonly identity: ClientIdentity
  readonly tokenHash: string | undefined
  readonly clientIp: string
}

/**
 * Who the client is, as a name that is safe to store: a forward key or client token by its name or
 * digest fingerprint, an unknown (passed-through) token by a digest prefix, no token at all by its
 * address. Rate limits count per this name and cache entries are kept per this name, so neither ever
 * crosses from one key to another.
 */
export function clientScope(ctx: ClientFacts): string {
  const { identity } = ctx
  // A client token's name is already `token:<fingerprint>`; kept once, not as client-token:token:….
  if (identity.kind === 'client-token') return `client-${identity.name}`
  if (identity.kind !== 'anonymous') return `${identity.kind}:${identity.name}`
  return ctx.tokenHash !== undefined ? `unknown-token:${ctx.tokenHash.slice(0, 16)}` : `ip:${ctx.clientIp}`
}
