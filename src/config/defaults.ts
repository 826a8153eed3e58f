import type { ConfigInput } from './schema.js'

/**
 * What `llm-relay run` serves with no config at all: one route `/` to OpenAI, the caller's own
 * Authorization passed through, nothing that needs Redis or PostgreSQL.
 */
export const embeddedDefaults: ConfigInput = {
  routes: [{ path: '/', type: 'openai', upstreams: [{ name: 'openai', url: 'https://api.openai.com' }] }],
}
