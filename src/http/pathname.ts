/** The path part of a request target (`/v1/models?x=1` → `/v1/models`), without parsing a URL. */
export function pathnameOf(url: string): string {
  const queryStart = url.indexOf('?')
  return queryStart === -1 ? url : url.slice(0, queryStart)
}

/** Whether `pathname` lies under `prefix` on whole segments: `/gemini` covers `/gemini/v1` but not `/geminiX`. */
export function underPrefix(pathname: string, prefix: string): boolean {
  return prefix === '/' || pathname === prefix || (pathname.startsWith(prefix) && pathname.charCodeAt(prefix.length) === 47 /* / */)
}
