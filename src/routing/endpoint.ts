/**
 * Which API endpoint a path is, decided once per request from the path's end (any base path
 * before `/v1/...` is allowed, as upstreams differ): the cache, records, usage requests, the client's
 * dialect and the providers all ask this rather than matching paths themselves. `messages` and
 * `count_tokens` are Anthropic's Messages API (`/v1/messages`, `/v1/messages/count_tokens`), spoken to
 * the gateway by Anthropic clients; the OpenAI Assistants' `/v1/threads/{id}/messages` is not one.
 */
export type Endpoint = 'chat' | 'completions' | 'embeddings' | 'responses' | 'messages' | 'count_tokens' | 'other'

export function endpointOf(pathname: string): Endpoint {
  // `/chat/completions` before `/completions`, which it also ends with.
  if (pathname.endsWith('/chat/completions')) return 'chat'
  if (pathname.endsWith('/completions')) return 'completions'
  if (pathname.endsWith('/embeddings')) return 'embeddings'
  if (pathname.endsWith('/responses')) return 'responses'
  if (pathname.endsWith('/v1/messages')) return 'messages'
  if (pathname.endsWith('/v1/messages/count_tokens')) return 'count_tokens'
  return 'other'
}

/** Endpoints that ask a model for an answer in some client dialect: each upstream gets them in its own API, translated when it speaks another. */
export function generates(endpoint: Endpoint): boolean {
  return endpoint === 'chat' || endpoint === 'messages' || endpoint === 'responses'
}
