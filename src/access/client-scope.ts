import type { RelayContext } from '../pipeline/context.js'

/**
 * Who the client is, as a name that is safe to store: a forward key or client token by its name or
 * digest fingerprint, an unknown (passed-through) token by a digest prefix, no token at all by its
 * address. Rate limits count per this name and cache entries are kept per this name, so neither ever
 * crosses from one key to another.
 */
export function clientScope(ctx: RelayContext): string {
  const { identity } = ctx
  // A client token's name is already `token:<fingerprint>`; kept once, not as client-token:token:….
  if (identity.kind === 'client-token') return `client-${identity.name}`
  if (identity.kind !== 'anonymous') return `${identity.kind}:${identity.name}`
  return ctx.tokenHash !== undefined ? `unknown-token:${ctx.tokenHash.slice(0, 16)}` : `ip:${ctx.clientIp}`
}
