/**
 * Which OpenAI endpoint a path is, decided once per request from the path's end (any base path
 * before `/v1/...` is allowed, as upstreams differ): the cache, records, usage requests and the
 * providers all ask this rather than matching paths themselves.
 */
export type Endpoint = 'chat' | 'completions' | 'embeddings' | 'responses' | 'other'

export function endpointOf(pathname: string): Endpoint {
  // `/chat/completions` before `/completions`, which it also ends with.
  if (pathname.endsWith('/chat/completions')) return 'chat'
  if (pathname.endsWith('/completions')) return 'completions'
  if (pathname.endsWith('/embeddings')) return 'embeddings'
  if (pathname.endsWith('/responses')) return 'responses'
  return 'other'
}
