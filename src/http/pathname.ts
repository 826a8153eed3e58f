/** The path part of a request target (`/v1/models?x=1` → `/v1/models`), without parsing a URL. */
export function pathnameOf(url: string): string {
  const queryStart = url.indexOf('?')
  return queryStart === -1 ? url : url.slice(0, queryStart)
}

/** Whether `pathname` lies under `prefix` on whole segments: `/gemini` covers `/gemini/v1` but not `/geminiX`. */
export function underPrefix(pathname: string, prefix: string): boolean {
  return prefix === '/' || pathname === prefix || (pathname.startsWith(prefix) && pathname.charCodeAt(prefix.length) === 47 /* / */)
}

// The escapes that can make a dot segment once an upstream or a proxy in front of it decodes the
// path: `.` itself, the separators `/` and `\` (WHATWG URLs treat `\` as `/`), and `%` (decoded twice).
const segmentEscapes = /%(?:2e|2f|5c|25)/gi
// A `.` or `..` segment; `;` ends one too, since servlet containers read `..;x` as `..`.
const dotSegment = /(?:^|\/)\.\.?(?:[/;]|$)/
const mightHideDotSegment = /[.%\\]/
const maxDecodeRounds = 4

/**
 * Whether the path has a `.` or `..` segment in any spelling an upstream could normalise away:
 * `..`, `%2e%2e`, `.%2E`, `%252e%252e`, `..%2f`, `..\`. Such a segment climbs out of an upstream's
 * base path (`/base/v1/%2e%2e/%2e%2e/admin` is `/admin` to nginx and WHATWG) with the gateway's key
 * attached, and no API uses one (issue 13, point 2).
 */
export function hasDotSegment(pathname: string): boolean {
  if (!mightHideDotSegment.test(pathname)) return false
  let decoded = pathname
  for (let round = 0; round < maxDecodeRounds; round++) {
    const separated = decoded.replaceAll('\\', '/')
    if (dotSegment.test(separated)) return true
    const next = separated.replace(segmentEscapes, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)))
    if (next === separated) return false
    decoded = next
  }
  // Still more escapes of escapes after several rounds: nothing legitimate is written like that.
  return true
}
