import type { IncomingMessage } from 'node:http'
import type { Config } from '../config/schema.js'
import { IpRangeList } from './cidr.js'

/** IP allow/deny lists and the trusted-proxy rule for X-Forwarded-For. */
export class IpAccess {
  private readonly allow: IpRangeList
  private readonly deny: IpRangeList
  private readonly trustedProxies: IpRangeList

  constructor(config: Readonly<Config>) {
    this.allow = new IpRangeList(config.access.ip.allow)
    this.deny = new IpRangeList(config.access.ip.deny)
    this.trustedProxies = new IpRangeList(config.server.trustedProxies)
  }

  get active(): boolean {
    return this.allow.size > 0 || this.deny.size > 0
  }

  /**
   * The client's address: the socket peer, unless that peer is a trusted proxy, in which case
   * X-Forwarded-For is walked from the right, skipping further trusted proxies (the rightmost
   * untrusted entry is the first one no proxy of ours vouches for; the leftmost can be forged).
   */
  clientIp(request: IncomingMessage): string {
    const peer = request.socket.remoteAddress ?? ''
    if (this.trustedProxies.size === 0 || !this.trustedProxies.has(peer)) return peer
    const header = request.headers['x-forwarded-for']
    if (header === undefined) return peer
    const hops = (Array.isArray(header) ? header.join(',') : header).split(',')
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = hops[index]!.trim()
      if (hop !== '' && !this.trustedProxies.has(hop)) return hop
    }
    return hops[0]?.trim() || peer
  }

  isAllowed(ip: string): boolean {
    if (this.deny.has(ip)) return false
    return this.allow.size === 0 || this.allow.has(ip)
  }
}
