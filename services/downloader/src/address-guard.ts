// The SSRF guard: a download may only reach public unicast addresses, unless an operator allowlists
// a range (DOWNLOAD_ALLOW_CIDRS). Checked on the resolved address of every connection, so a public
// name that resolves to 127.0.0.1, or a redirect to 169.254.169.254, is refused too.

import type { LookupAddress, LookupOptions } from 'node:dns';
import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

export class AddressRefusedError extends Error {
  constructor(
    readonly address: string,
    readonly range: string,
  ) {
    super(`refused to connect to ${address} (${range} address; allowlist it with DOWNLOAD_ALLOW_CIDRS)`);
    this.name = 'AddressRefusedError';
  }
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');
const NAT64_LOCAL = ipaddr.parseCIDR('64:ff9b:1::/48');
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16');

function ipv4FromBytes(bytes: number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes);
}

/**
 * The IPv4 address an IPv6 address carries, in the forms a host or gateway may turn into an IPv4
 * connection: IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), IPv4-compatible
 * (::/96, deprecated), NAT64 (64:ff9b::/96 and 64:ff9b:1::/48, last 32 bits) and 6to4 (2002::/16).
 */
export function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const bytes = address.toByteArray();
  const last32 = bytes.slice(12, 16);
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  if (zeros(0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(10, 12)) return ipv4FromBytes(last32);
  // :: and ::1 are the IPv6 unspecified and loopback addresses, not IPv4-compatible ones.
  const special = address.range() === 'unspecified' || address.range() === 'loopback';
  if (zeros(0, 12) && !special) return ipv4FromBytes(last32);
  if (address.match(NAT64_WELL_KNOWN) || address.match(NAT64_LOCAL)) return ipv4FromBytes(last32);
  if (address.match(SIX_TO_FOUR)) return ipv4FromBytes(bytes.slice(2, 6));
  return undefined;
}

export class AddressGuard {
  private readonly allowed: Cidr[];

  constructor(allowCidrs: readonly string[]) {
    this.allowed = allowCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** The reason an address is refused, or undefined when it may be reached. */
  check(address: string): AddressRefusedError | undefined {
    let parsed = ipaddr.parse(address);
    if (parsed.kind() === 'ipv6') {
      const v6 = parsed as ipaddr.IPv6;
      const v4 = embeddedIPv4(v6);
      if (v6.isIPv4MappedAddress() && v4 !== undefined) {
        // ::ffff:10.0.0.1 is 10.0.0.1.
        parsed = v4;
      } else if (v4 !== undefined && !this.isAllowed(v6)) {
        // ::7f00:1, 64:ff9b::a9fe:a9fe, 2002:c0a8:101::: an internal IPv4 address in IPv6 clothing.
        const inner = this.isAllowed(v4) ? 'unicast' : v4.range();
        if (inner !== 'unicast') return new AddressRefusedError(address, `${inner} (embedded IPv4 ${v4})`);
        // The deprecated IPv4-compatible form (::a.b.c.d) is never a real destination.
        if (v6.range() === 'unicast') return new AddressRefusedError(address, 'ipv4Compatible');
      }
    }
    if (this.isAllowed(parsed)) return undefined;
    const range = parsed.range();
    // Only globally routable unicast is safe; everything else (loopback, private, link-local with the
    // cloud metadata service, carrier-grade NAT, multicast, reserved, unique-local) is internal.
    return range === 'unicast' ? undefined : new AddressRefusedError(address, range);
  }

  private isAllowed(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.allowed.some(
      ([range, bits]) => range.kind() === address.kind() && address.match(range, bits),
    );
  }

  /** A `lookup` for http.request that refuses names resolving to any refused address. */
  readonly lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      for (const entry of addresses) {
        const refused = this.check(entry.address);
        if (refused) {
          callback(refused, []);
          return;
        }
      }
      const first = addresses[0];
      if (options.all === true) callback(null, addresses);
      else if (first === undefined) callback(new Error(`${hostname} has no address`), []);
      else callback(null, first.address, first.family);
    });
  };
}
