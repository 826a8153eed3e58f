/** What a request asks for, decided from its method and path alone. */
export type Route =
  | { kind: 'healthz' }
  | { kind: 'echo' }
  | { kind: 'chat' }
  | { kind: 'completions' }
  | { kind: 'responses' }
  | { kind: 'embeddings' }
  | { kind: 'transcriptions' }
  | { kind: 'models' }
  | { kind: 'model'; id: string }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string }

type EndpointKind = 'chat' | 'completions' | 'responses' | 'embeddings' | 'transcriptions' | 'models'

// Matched on the path's ending, so any base path a gateway adds or drops (`/openai/v1/…`,
// `/v1/…`, `/…`) reaches the same endpoint. `/chat/completions` must come before `/completions`.
const endpoints: ReadonlyArray<readonly [suffix: string, kind: EndpointKind, method: string]> = [
  ['/chat/completions', 'chat', 'POST'],
  ['/completions', 'completions', 'POST'],
  ['/responses', 'responses', 'POST'],
  ['/embeddings', 'embeddings', 'POST'],
  ['/audio/transcriptions', 'transcriptions', 'POST'],
  ['/models', 'models', 'GET'],
]

const MODEL_PREFIX = '/models/'

export function matchRoute(method: string, url: string): Route {
  const query = url.indexOf('?')
  let path = query === -1 ? url : url.slice(0, query)
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)

  // Echo comes first: `/echo/v1/chat/completions` must echo, not complete.
  if (path === '/echo' || path.startsWith('/echo/')) return { kind: 'echo' }
  if (path === '/healthz') return { kind: 'healthz' }

  for (const [suffix, kind, expected] of endpoints) {
    if (!path.endsWith(suffix)) continue
    return method === expected ? { kind } : { kind: 'method-not-allowed', allow: expected }
  }

  const at = path.lastIndexOf(MODEL_PREFIX)
  if (at !== -1 && at + MODEL_PREFIX.length < path.length) {
    if (method !== 'GET') return { kind: 'method-not-allowed', allow: 'GET' }
    return { kind: 'model', id: safeDecode(path.slice(at + MODEL_PREFIX.length)) }
  }
  return { kind: 'not-found' }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    // A malformed escape is just an unknown model id, answered with 404 like any other.
    return segment
  }
}
