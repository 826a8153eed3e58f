import { signal } from '@preact/signals'

export interface Location {
  /** The page: the first part of the hash, e.g. `requests` in `#/requests/42?model=x`. */
  page: string
  /** The parts after it, e.g. `['42']`. */
  rest: string[]
  params: URLSearchParams
}

function parse(hash: string): Location {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?')
  const [page = 'overview', ...rest] = path.split('/').filter((part) => part !== '').map(decodeURIComponent)
  return { page, rest, params: new URLSearchParams(search) }
}

/** Where the app is: a hash route, so the server serves one page and reloads keep the place. */
export const location = signal<Location>(parse(window.location.hash))
window.addEventListener('hashchange', () => (location.value = parse(window.location.hash)))

export function navigate(to: string, replace = false): void {
  const hash = `#/${to.replace(/^#?\/?/, '')}`
  if (replace) {
    window.history.replaceState(null, '', hash)
    location.value = parse(hash)
  } else {
    window.location.hash = hash
  }
}
