/** The path part of a request target (`/v1/models?x=1` → `/v1/models`), without parsing a URL. */
export function pathnameOf(url: string): string {
  const queryStart = url.indexOf('?')
  return queryStart === -1 ? url : url.slice(0, queryStart)
}
