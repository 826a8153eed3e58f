import { hashToken } from '../../access/client-keys.js'
import type { RelayContext } from '../context.js'

const bearerPrefix = /^\s*bearer\s+/i

/**
 * Who is calling: a forward key, a client token, or anonymous (an unknown token, which passes
 * through unchanged on open routes, as OpenAI-Forward does). The token comes as `Authorization:
 * Bearer`, or as `x-api-key`, where Anthropic's clients send it (Claude Code with ANTHROPIC_API_KEY).
 * Whether the caller may use the route is decided per upstream in pickCandidates.
 */
export function identifyClient(ctx: RelayContext): undefined {
  const { headers } = ctx.request
  const header = headers.authorization || headers['x-api-key']
  if (header === undefined || header === '' || Array.isArray(header)) return
  // openai-api-route also accepts the token without the word Bearer.
  const token = header.replace(bearerPrefix, '').trim()
  if (token === '') return
  ctx.tokenHash = hashToken(token)
  ctx.identity = ctx.runtime.clients.identify(ctx.tokenHash)
}
