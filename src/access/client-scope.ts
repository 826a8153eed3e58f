import type { RelayContext } from '../pipeline/context.js'

/**
 * Who the client is, as a name that is safe to store: a forward key or client token by its name or
 * digest fingerprint, an unknown (passed-through) token by a digest prefix, no token at all by its
 * address. Rate limits count per this name and cache entries are kept per this name, so neither ever
 * crosses from one key to another.
 */
export function clientScope(ctx: RelayContext): string {
  if (ctx.identity.kind !== 'anonymous') return `${ctx.identity.kind}:${ctx.identity.name}`
  return ctx.tokenHash !== undefined ? `token:${ctx.tokenHash.slice(0, 16)}` : `ip:${ctx.clientIp}`
}
