import type { ClientDirectory, ClientIdentity } from '../access/client-keys.js'
import type { KeyRing } from '../routing/key-ring.js'
import type { CompiledUpstream } from '../routing/route-table.js'

/** The credential of one attempt. The key is held by position, so a refused key can be rested without its value travelling around. */
export interface ChosenCredential {
  ring: KeyRing | undefined
  index: number
  /** The gateway chose the key (so a 401/403 is about our key, not the client's). */
  ownKey: boolean
  /** The client's credential headers must not be forwarded. */
  withholdClient: boolean
}

const clientOwn: ChosenCredential = { ring: undefined, index: -1, ownKey: false, withholdClient: false }
const none: ChosenCredential = { ring: undefined, index: -1, ownKey: false, withholdClient: true }

/**
 * Chooses the upstream credential of one attempt. Gateway-issued credentials (forward keys, client
 * tokens) never travel upstream unless the upstream is set to pass the client's header through;
 * an unknown token on an open route passes through unchanged.
 */
export function chooseCredential(upstream: CompiledUpstream, identity: ClientIdentity, clients: ClientDirectory): ChosenCredential {
  if (upstream.auth === 'passthrough') return clientOwn
  if (upstream.auth === 'none') return none
  const ring = upstream.keys.size > 0 ? upstream.keys : clients.levelKeys(identity)
  if (ring !== undefined) return { ring, index: ring.take(), ownKey: true, withholdClient: true }
  return identity.kind === 'anonymous' ? clientOwn : none
}
