/** What went wrong with one upstream attempt before an answer could be relayed. */
export type TransportFailure = 'connect' | 'connect-timeout' | 'reset' | 'headers-timeout' | 'idle-timeout' | 'client-gone' | 'unknown'

/** undici and Node error codes → failure kind. Anything unlisted is `unknown` (502, never a raw 500). */
const failureByCode: Record<string, TransportFailure> = {
  ECONNREFUSED: 'connect',
  ENOTFOUND: 'connect',
  EAI_AGAIN: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  ETIMEDOUT: 'connect-timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  UND_ERR_HEADERS_TIMEOUT: 'headers-timeout',
  UND_ERR_BODY_TIMEOUT: 'idle-timeout',
  UND_ERR_ABORTED: 'client-gone',
  ABORT_ERR: 'client-gone',
}

export function classifyTransportError(error: unknown): TransportFailure {
  let current: unknown = error
  // undici wraps the socket's own error in `cause`; the innermost known code wins.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code
    if (code !== undefined && code in failureByCode) return failureByCode[code]!
    if (current.name === 'AbortError') return 'client-gone'
    current = current.cause
  }
  return 'unknown'
}

export function isTimeout(failure: TransportFailure): boolean {
  return failure === 'connect-timeout' || failure === 'headers-timeout' || failure === 'idle-timeout'
}

export function describeFailure(failure: TransportFailure): string {
  switch (failure) {
    case 'connect':
      return 'connection failed'
    case 'connect-timeout':
      return 'connect timed out'
    case 'reset':
      return 'connection reset'
    case 'headers-timeout':
      return 'no response headers in time'
    case 'idle-timeout':
      return 'body stalled'
    case 'client-gone':
      return 'client went away'
    case 'unknown':
      return 'transport error'
  }
}
