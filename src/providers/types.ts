import type { IncomingHttpHeaders } from 'node:http'

/** Headers of one upstream attempt, lower-case names. */
export type OutboundHeaders = Record<string, string | string[] | undefined>

/**
 * How one kind of upstream differs from plain OpenAI. Pure: no I/O, no logging, no Fastify.
 * Most upstreams are OpenAI-compatible and need no code of their own, only config.
 */
export interface ProviderAdapter {
  /** Puts the upstream key where this provider expects it. Must never place it in the URL. */
  setKey(headers: OutboundHeaders, key: string): void
  /** Removes every header of the client that could carry a credential for this provider. */
  clearCredentials(headers: OutboundHeaders): void
  /** Reads the credential a client sent in this provider's style, if any. */
  readClientCredential(headers: IncomingHttpHeaders): string | undefined
}
