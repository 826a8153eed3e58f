/** Headers of one upstream attempt, lower-case names. */
export type OutboundHeaders = Record<string, string | string[] | undefined>

/**
 * How one kind of upstream differs from plain OpenAI. Pure: no I/O, no logging, no Fastify.
 * Most upstreams are OpenAI-compatible and need no code of their own, only config.
 */
export interface ProviderAdapter {
  /** Lower-case names of every header that can carry a credential for this provider; a client's are never forwarded when the gateway sets or withholds the key. */
  readonly credentialHeaders: ReadonlySet<string>
  /** Puts the upstream key where this provider expects it. Must never place it in the URL. */
  setKey(headers: OutboundHeaders, key: string): void
}
