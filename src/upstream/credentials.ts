import type { ClientDirectory, ClientIdentity } from '../access/client-keys.js'
import type { OutboundHeaders } from '../providers/index.js'
import type { KeyRing } from '../routing/key-ring.js'
import type { CompiledUpstream } from '../routing/route-table.js'

/** Which key an attempt used, by position, so a refused key can be rested without holding its value. */
export interface UsedCredential {
  ring: KeyRing | undefined
  index: number
  /** The gateway chose the key (so a 401/403 is about our key, not the client's). */
  ownKey: boolean
}

const clientOwn: UsedCredential = { ring: undefined, index: -1, ownKey: false }

/**
 * Sets the upstream credential of one attempt. Gateway-issued credentials (forward keys, client
 * tokens) never travel upstream; an unknown token on an open route passes through unchanged.
 */
export function applyCredential(headers: OutboundHeaders, upstream: CompiledUpstream, identity: ClientIdentity, clients: ClientDirectory): UsedCredential {
  const { adapter } = upstream
  if (upstream.auth === 'passthrough') return clientOwn
  if (upstream.auth === 'none') {
    adapter.clearCredentials(headers)
    return clientOwn
  }
  const ring = upstream.keys.size > 0 ? upstream.keys : clients.levelKeys(identity)
  if (ring !== undefined) {
    const index = ring.take()
    adapter.clearCredentials(headers)
    adapter.setKey(headers, ring.keyAt(index))
    return { ring, index, ownKey: true }
  }
  if (identity.kind !== 'anonymous') adapter.clearCredentials(headers)
  return clientOwn
}
