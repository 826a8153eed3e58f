import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6
type Range = [Address, number]

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128 range). */
function parseRange(text: string): Range {
  const trimmed = text.trim()
  if (trimmed.includes('/')) {
    const [address, bits] = ipaddr.parseCIDR(trimmed)
    return [normalise(address), address.kind() === 'ipv6' && normalise(address).kind() === 'ipv4' ? bits - 96 : bits]
  }
  const address = normalise(ipaddr.parse(trimmed))
  return [address, address.kind() === 'ipv4' ? 32 : 128]
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4, what a dual-stack socket reports) is treated as the IPv4 address. */
function normalise(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address
}

export function isValidCidr(text: string): boolean {
  try {
    parseRange(text)
    return true
  } catch {
    return false
  }
}

/** A compiled list of ranges; `has(ip)` answers whether an address falls in any of them. */
export class IpRangeList {
  readonly size: number
  private readonly ranges: Range[]

  constructor(entries: readonly string[]) {
    this.ranges = entries.map(parseRange)
    this.size = this.ranges.length
  }

  has(ip: string): boolean {
    if (this.size === 0) return false
    let address: Address
    try {
      address = normalise(ipaddr.parse(ip))
    } catch {
      return false
    }
    for (const [base, bits] of this.ranges) {
      if (base.kind() === address.kind() && address.match(base as never, bits)) return true
    }
    return false
  }
}
