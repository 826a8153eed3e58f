import { EventEmitter } from 'node:events'

export interface UpstreamHealth {
  consecutiveFailures: number
  /** Epoch ms until which the upstream is only tried after every healthy one. */
  coolingUntil: number
  /** Length of the current cooldown; doubles while the upstream keeps failing its probes. */
  cooldownMs: number
  inflight: number
}

export interface CooldownPolicy {
  failures: number
  duration: number
  maxDuration: number
}

export interface HealthEvents {
  cooldown: [id: string, untilMs: number, reason: string]
  recovered: [id: string]
}

/**
 * Passive health per upstream: consecutive failures put an upstream into cooldown; after the
 * cooldown the next request probes it (half-open); a success clears it, a failure doubles the
 * cooldown. Lives across config reloads, keyed by the upstream's id.
 */
export class HealthBook extends EventEmitter<HealthEvents> {
  private readonly entries = new Map<string, UpstreamHealth>()
  policy: CooldownPolicy

  constructor(policy: CooldownPolicy) {
    super()
    this.policy = policy
  }

  get(id: string): UpstreamHealth {
    let entry = this.entries.get(id)
    if (entry === undefined) {
      entry = { consecutiveFailures: 0, coolingUntil: 0, cooldownMs: 0, inflight: 0 }
      this.entries.set(id, entry)
    }
    return entry
  }

  isCooling(id: string, now = Date.now()): boolean {
    const entry = this.entries.get(id)
    return entry !== undefined && entry.coolingUntil > now
  }

  succeeded(id: string): void {
    const entry = this.get(id)
    const wasDown = entry.consecutiveFailures >= this.policy.failures
    entry.consecutiveFailures = 0
    entry.coolingUntil = 0
    entry.cooldownMs = 0
    if (wasDown) this.emit('recovered', id)
  }

  /** `retryAfterMs` (from the upstream's Retry-After) starts a cooldown at once, whatever the count. */
  failed(id: string, reason: string, retryAfterMs?: number, now = Date.now()): void {
    const entry = this.get(id)
    entry.consecutiveFailures++
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      entry.coolingUntil = Math.max(entry.coolingUntil, now + Math.min(retryAfterMs, this.policy.maxDuration))
      this.emit('cooldown', id, entry.coolingUntil, reason)
      return
    }
    if (entry.consecutiveFailures < this.policy.failures) return
    entry.cooldownMs = entry.cooldownMs === 0 ? this.policy.duration : Math.min(entry.cooldownMs * 2, this.policy.maxDuration)
    entry.coolingUntil = now + entry.cooldownMs
    this.emit('cooldown', id, entry.coolingUntil, reason)
  }
}
