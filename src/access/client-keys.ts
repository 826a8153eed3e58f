import { hash } from 'node:crypto'
import type { Config } from '../config/schema.js'
import { KeyRing } from '../routing/key-ring.js'

/** Who is calling, as far as the gateway knows. Carries no secret, only names and a short fingerprint. */
export type ClientIdentity =
  | { kind: 'forward-key'; name: string; level: number }
  | { kind: 'client-token'; name: string }
  | { kind: 'anonymous'; name: 'anonymous' }

export const anonymous: ClientIdentity = { kind: 'anonymous', name: 'anonymous' }

/**
 * Tokens are looked up by their SHA-256 digest: the lookup time then depends on the digest, not on
 * how many leading characters of a real token a guess shares, which gives constant-time comparison
 * without comparing against every token in turn.
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'base64url')
}

/** A name for a token that is safe to log: a fingerprint of its digest, never the token. */
export function fingerprint(tokenHash: string): string {
  return `token:${tokenHash.slice(0, 8)}`
}

export interface LevelRules {
  /** Undefined = any model. */
  models: ReadonlySet<string> | undefined
  /** The level's real keys, used round-robin on upstreams without keys of their own. */
  keys: KeyRing
}

/** Every credential the gateway itself issued (forward keys and client tokens), by digest. */
export class ClientDirectory {
  private readonly byHash = new Map<string, ClientIdentity>()
  readonly levels = new Map<number, LevelRules>()
  readonly forwardKeyCount: number
  readonly clientTokenCount: number

  constructor(config: Readonly<Config>) {
    for (const level of config.access.levels) {
      this.levels.set(level.level, { models: level.models ? new Set(level.models) : undefined, keys: new KeyRing(level.keys) })
    }
    config.access.forwardKeys.forEach((forwardKey, index) => {
      const hash = hashToken(forwardKey.key)
      this.byHash.set(hash, { kind: 'forward-key', level: forwardKey.level, name: forwardKey.name ?? `forward-key-${index + 1}` })
    })
    this.forwardKeyCount = config.access.forwardKeys.length
    const tokens = new Set<string>(config.access.clientTokens)
    for (const route of config.routes) {
      for (const token of route.clientTokens ?? []) tokens.add(token)
      for (const upstream of route.upstreams) for (const token of upstream.clientTokens ?? []) tokens.add(token)
    }
    for (const token of tokens) {
      const hash = hashToken(token)
      if (!this.byHash.has(hash)) this.byHash.set(hash, { kind: 'client-token', name: fingerprint(hash) })
    }
    this.clientTokenCount = tokens.size
  }

  identify(tokenHash: string | undefined): ClientIdentity {
    return (tokenHash !== undefined && this.byHash.get(tokenHash)) || anonymous
  }

  /** The real keys of a forward key's level, if it has keys. */
  levelKeys(identity: ClientIdentity): KeyRing | undefined {
    if (identity.kind !== 'forward-key') return undefined
    const ring = this.levels.get(identity.level)?.keys
    return ring !== undefined && ring.size > 0 ? ring : undefined
  }

  /** Models a forward-key level may use; undefined = all (level 0, or a level without a list). */
  allowedModels(identity: ClientIdentity): ReadonlySet<string> | undefined {
    if (identity.kind !== 'forward-key' || identity.level === 0) return undefined
    return this.levels.get(identity.level)?.models
  }
}
