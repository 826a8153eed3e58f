/**
 * Where the URLs a prediction hands out (urls.get, urls.stream, urls.cancel) may be followed with the
 * key. Replicate's stream lives on another host than its API (streaming.api.replicate.com), so the
 * origin alone is too narrow; following whatever the answer names would send the key anywhere a
 * compromised or misconfigured upstream points it ("credentialed SSRF", translation.md §1). Allowed:
 * the configured url's host and port, any subdomain of it, and the hosts listed in followHosts (and
 * their subdomains); never a downgrade from https to http.
 */
export type HostCheck = (url: URL) => boolean

export function followableHosts(configuredUrl: string, followHosts: readonly string[]): HostCheck {
  const base = new URL(configuredUrl)
  const names = [base.hostname, ...followHosts].map((host) => host.toLowerCase())
  return (url) => {
    if (url.protocol !== base.protocol && url.protocol !== 'https:') return false
    const host = url.hostname.toLowerCase()
    if (host === base.hostname && url.port === base.port) return true
    return names.some((name, index) => host.endsWith(`.${name}`) || (index > 0 && host === name))
  }
}

/** A URL the prediction handed out that is not followed: the attempt fails, and the key goes nowhere near it. */
export class OffHostError extends Error {
  override name = 'OffHostError'

  constructor(which: string, url: string) {
    let host = url
    try {
      host = new URL(url).host
    } catch {
      // not a URL at all: named as it came
    }
    super(`Replicate's urls.${which} points to ${host.slice(0, 200)}, outside the configured Replicate host (and followHosts); it is not followed, so the key is not sent there.`)
  }
}
